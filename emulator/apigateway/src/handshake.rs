//! The WebSocket handshake: what CloudFront does to it on the edge entrance, then `$connect`,
//! which may refuse it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use wsflow_cloudfront_functions::ViewerRequest;

use crate::edge::Entrance;
use crate::listener::Peer;
use crate::registry::{now_ms, ConnectionInfo};
use crate::request::{EventType, Handshake, Request};
use crate::{admission, ids, session, Shared, MAX_FRAME_BYTES, MAX_MESSAGE_BYTES};

pub async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Extension(entrance): Extension<Arc<Entrance>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    request: axum::extract::Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let handshake = match entrance.forwarded(viewer_request(&parts, peer.addr)) {
        Ok(forwarded) => handshake_of(&forwarded, &peer, &entrance),
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

/// The headers and query string `$connect` sees, repeated values joined as API Gateway does.
/// Header names are restored to the client's spelling (the viewer-request event has them in
/// lower case, as CloudFront's does); the hop-by-hop `Connection` and `Upgrade` are not passed
/// on, and API Gateway's own headers are added, as in the `$connect` events AWS shows
/// (`X-Amzn-Trace-Id`, `X-Forwarded-For`, `X-Forwarded-Port`, `X-Forwarded-Proto`). Locally
/// the port and protocol are the entrance's own (`ws://` is `http`), not the 443 and `https` of
/// a `wss://` endpoint.
///
/// On the edge entrance the request came through CloudFront, which adds the origin's custom
/// headers, replacing a viewer's header of the same name ("Add custom headers to origin
/// requests", CloudFront developer guide), and `CloudFront-Viewer-Address` (`ip:port`) for
/// origin request policies that name it; local mode adds the latter on every edge handshake
/// (it does not read the policy).
fn handshake_of(request: &ViewerRequest, peer: &Peer, entrance: &Entrance) -> Handshake {
    let joined = |values: &Vec<String>| values.join(",");
    let mut headers: BTreeMap<String, String> = request
        .headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "connection" | "upgrade"))
        .map(|(name, values)| (peer.original_name(name).to_owned(), joined(values)))
        .collect();
    for (name, value) in entrance.origin_headers() {
        set_header(&mut headers, name, value.clone());
    }
    let client = peer.addr.ip().to_string();
    let forwarded_for = match crate::request::header(&headers, "x-forwarded-for") {
        Some(chain) => format!("{chain}, {client}"),
        None => client,
    };
    set_header(&mut headers, "X-Forwarded-For", forwarded_for);
    headers.insert("X-Forwarded-Port".into(), entrance.port.to_string());
    headers.insert("X-Forwarded-Proto".into(), "http".into());
    headers.insert("X-Amzn-Trace-Id".into(), ids::trace_id());
    if entrance.cloudfront.is_some() {
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

/// Sets `name` to `value`, replacing it in whatever case it was sent.
fn set_header(headers: &mut BTreeMap<String, String>, name: &str, value: String) {
    headers.retain(|sent, _| !sent.eq_ignore_ascii_case(name));
    headers.insert(name.to_owned(), value);
}
