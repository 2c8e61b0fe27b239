//! The WebSocket handshake: the edge function, then `$connect`, which may refuse it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use wsflow_cloudfront_functions::{EdgeOutcome, ViewerRequest};

use crate::listener::Peer;
use crate::registry::{now_ms, ConnectionInfo};
use crate::request::{EventType, Handshake, Request};
use crate::{admission, ids, session, Shared, MAX_FRAME_BYTES, MAX_MESSAGE_BYTES};

pub async fn upgrade(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    request: axum::extract::Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let viewer = viewer_request(&parts, peer.addr);
    let handshake = match run_edge(&shared, &viewer) {
        Ok(forwarded) => handshake_of(&forwarded, &peer, shared.port, shared.edge.is_some()),
        Err(response) => return *response,
    };
    let connection_id = ids::connection_id();
    let user_agent = handshake.header("user-agent").cloned().unwrap_or_default();
    let mut request = Request {
        event_type: EventType::Connect,
        route_key: "$connect".into(),
        connection_id: connection_id.clone(),
        request_id: ids::request_id(),
        message_id: None,
        connected_at_ms: now_ms(),
        request_time_ms: now_ms(),
        source_ip: peer.addr.ip().to_string(),
        user_agent: user_agent.clone(),
        stage: shared.api.stage.name.clone(),
        api_id: shared.api_id.clone(),
        domain_name: shared.domain_name.clone(),
        body: String::new(),
        handshake: Some(handshake),
        authorizer: None,
        api_key: None,
    };
    if let Err(refusal) = admission::connect(&shared, &mut request).await {
        return refusal;
    }
    if let Some(refusal) = session::connect(&shared, &request).await {
        return refusal;
    }
    let info = ConnectionInfo {
        id: connection_id,
        source_ip: request.source_ip,
        user_agent,
        connected_at_ms: request.connected_at_ms,
        authorizer: request.authorizer,
        api_key: request.api_key,
    };
    // Small buffers: most connections sit idle, and tungstenite's 128 KiB default read buffer
    // would cost each of them that much memory.
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_frame_size(MAX_FRAME_BYTES)
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| session::run(shared, socket, info))
}

fn viewer_request(parts: &Parts, peer: SocketAddr) -> ViewerRequest {
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_ascii_lowercase())
            .or_default()
            .push(value);
    }
    let mut querystring: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in parts
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        querystring
            .entry(name.to_owned())
            .or_default()
            .push(value.to_owned());
    }
    ViewerRequest {
        method: parts.method.to_string(),
        uri: parts.uri.path().to_owned(),
        querystring,
        headers,
        cookies: BTreeMap::new(),
        client_ip: peer.ip().to_string(),
    }
}

/// Runs the viewer-request function as CloudFront would: a thrown error refuses the handshake
/// (503, CloudFront's answer to a failing function), a returned response answers it.
fn run_edge(shared: &Shared, viewer: &ViewerRequest) -> Result<ViewerRequest, Box<Response>> {
    let Some(edge) = &shared.edge else {
        return Ok(viewer.clone());
    };
    match edge.viewer_request(viewer) {
        Ok(EdgeOutcome::Forward(request)) => Ok(request),
        Ok(EdgeOutcome::Respond {
            status,
            headers,
            body,
            ..
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut map = HeaderMap::new();
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
                    map.insert(name, value);
                }
            }
            Err(Box::new((status, map, body.unwrap_or_default()).into_response()))
        }
        Err(error) => {
            tracing::warn!(function = edge.name(), error = %error.message, "viewer-request function failed; refusing the handshake");
            let message = format!("viewer-request function failed: {}", error.message);
            Err(Box::new(
                (StatusCode::SERVICE_UNAVAILABLE, message).into_response(),
            ))
        }
    }
}

/// The headers and query string `$connect` sees, repeated values joined as API Gateway does.
/// Header names are restored to the client's spelling (the viewer-request event has them in
/// lower case, as CloudFront's does); the hop-by-hop `Connection` and `Upgrade` are not passed
/// on, and API Gateway's own headers are added, as in the `$connect` events AWS shows
/// (`X-Amzn-Trace-Id`, `X-Forwarded-For`, `X-Forwarded-Port`, `X-Forwarded-Proto`). Locally
/// the port and protocol are the gateway's own (`ws://` is `http`), not the 443 and `https` of
/// a `wss://` endpoint. Behind a CloudFront function the request came through CloudFront, which
/// adds `CloudFront-Viewer-Address` (`ip:port`) for origin request policies that name it; local
/// mode adds it whenever the stack has a viewer-request function (it does not read the policy).
fn handshake_of(request: &ViewerRequest, peer: &Peer, port: u16, through_cloudfront: bool) -> Handshake {
    let joined = |values: &Vec<String>| values.join(",");
    let mut headers: BTreeMap<String, String> = request
        .headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "connection" | "upgrade"))
        .map(|(name, values)| (peer.original_name(name).to_owned(), joined(values)))
        .collect();
    let client = peer.addr.ip().to_string();
    let forwarded_for = match crate::request::header(&headers, "x-forwarded-for") {
        Some(chain) => format!("{chain}, {client}"),
        None => client,
    };
    headers.retain(|name, _| !name.eq_ignore_ascii_case("x-forwarded-for"));
    headers.insert("X-Forwarded-For".into(), forwarded_for);
    headers.insert("X-Forwarded-Port".into(), port.to_string());
    headers.insert("X-Forwarded-Proto".into(), "http".into());
    headers.insert("X-Amzn-Trace-Id".into(), ids::trace_id());
    if through_cloudfront {
        headers.insert("CloudFront-Viewer-Address".into(), peer.addr.to_string());
    }
    Handshake {
        headers,
        query: request
            .querystring
            .iter()
            .map(|(k, v)| (k.clone(), joined(v)))
            .collect(),
    }
}
