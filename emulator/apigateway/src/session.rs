//! A connection's life: `$connect`, messages routed to integrations, `$disconnect`, and
//! API Gateway's limits (message size, idle timeout, maximum duration).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::registry::{now_ms, Connection, ConnectionInfo, Outbound};
use crate::request::{EventType, Request};
use crate::{admission, ids, routing, IntegrationError, Shared};

const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
const MAX_DURATION: Duration = Duration::from_secs(2 * 60 * 60);
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_TOO_BIG: u16 = 1009;

/// Runs `$connect`; `Some(response)` refuses the handshake with it.
pub async fn connect(shared: &Shared, request: &Request) -> Option<Response> {
    let integration = shared.api.routes.get("$connect")?.integration.as_ref()?;
    match shared.integrator.run(integration, request).await {
        Ok(reply) if (200..300).contains(&reply.status) => None,
        Ok(reply) => {
            tracing::info!(status = reply.status, body = %reply.body, "$connect refused the connection");
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::FORBIDDEN);
            Some((status, reply.body).into_response())
        }
        Err(error) => {
            tracing::warn!(%error, "$connect integration failed");
            let status = match error {
                IntegrationError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            Some((status, error.client_message()).into_response())
        }
    }
}

pub async fn run(shared: Arc<Shared>, socket: WebSocket, info: ConnectionInfo) {
    let (sender, outbound) = mpsc::unbounded_channel();
    let connection = Arc::new(Connection::new(info, sender));
    shared.registry.insert(connection.clone());
    let (sink, mut stream) = socket.split();
    let writer = tokio::spawn(write(sink, outbound));
    let mut shutdown = shared.shutdown.subscribe();
    let ends_at = Instant::now() + MAX_DURATION;
    loop {
        let idle_until = Instant::now() + IDLE_TIMEOUT;
        tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(text))) => dispatch(&shared, &connection, text.as_str().to_owned()),
                Some(Ok(Message::Binary(bytes))) => dispatch(&shared, &connection, String::from_utf8_lossy(&bytes).into_owned()),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => connection.touch(),
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(error)) => {
                    tracing::info!(connection_id = %connection.id, %error, "closing: frame or message over the limit, or a protocol error");
                    connection.send(Outbound::Close { code: CLOSE_TOO_BIG, reason: "Message too big" });
                    break;
                }
            },
            _ = tokio::time::sleep_until(idle_until) => {
                connection.send(Outbound::Close { code: CLOSE_GOING_AWAY, reason: "Going away: idle timeout" });
                break;
            }
            _ = tokio::time::sleep_until(ends_at) => {
                connection.send(Outbound::Close { code: CLOSE_GOING_AWAY, reason: "Going away: maximum connection duration" });
                break;
            }
            _ = shutdown.changed() => {
                connection.send(Outbound::Close { code: CLOSE_GOING_AWAY, reason: "Going away: gateway stopping" });
                break;
            }
        }
    }
    shared.registry.remove(&connection.id);
    disconnect(&shared, &connection).await;
    drop(connection);
    let _ = writer.await;
}

async fn write(
    mut sink: futures::stream::SplitSink<WebSocket, Message>,
    mut outbound: mpsc::UnboundedReceiver<Outbound>,
) {
    while let Some(message) = outbound.recv().await {
        let frame = match message {
            Outbound::Text(text) => Message::Text(text.into()),
            Outbound::Close { code, reason } => {
                let _ = sink
                    .send(Message::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })))
                    .await;
                break;
            }
        };
        if sink.send(frame).await.is_err() {
            break;
        }
    }
    let _ = sink.close().await;
}

/// Messages of one connection run concurrently, as in API Gateway, which promises no order.
fn dispatch(shared: &Arc<Shared>, connection: &Arc<Connection>, body: String) {
    connection.touch();
    let (shared, connection) = (shared.clone(), connection.clone());
    tokio::spawn(async move { handle_message(&shared, &connection, body).await });
}

async fn handle_message(shared: &Shared, connection: &Connection, body: String) {
    let routes = &shared.api.routes;
    let selected =
        routing::select(&shared.api.route_selection_expression, &body).filter(|k| routes.contains_key(k));
    let route_key = selected.unwrap_or_else(|| "$default".to_owned());
    let request = shared.request(connection, EventType::Message, &route_key, body);
    let Some(route) = routes.get(&route_key) else {
        connection.send(Outbound::Text(error_frame("Forbidden", &request)));
        return;
    };
    if let Err(message) = admission::message(shared, &request) {
        connection.send(Outbound::Text(error_frame(message, &request)));
        return;
    }
    let Some(integration) = &route.integration else {
        return;
    };
    match shared.integrator.run(integration, &request).await {
        Ok(reply) if !route.route_responses.is_empty() => {
            connection.send(Outbound::Text(reply.body));
        }
        Ok(_) => {}
        Err(error) => {
            tracing::warn!(route = %route_key, connection_id = %connection.id, %error, "integration failed");
            connection.send(Outbound::Text(error_frame(error.client_message(), &request)));
        }
    }
}

async fn disconnect(shared: &Shared, connection: &Connection) {
    let Some(integration) = shared
        .api
        .routes
        .get("$disconnect")
        .and_then(|r| r.integration.as_ref())
    else {
        return;
    };
    let request = shared.request(connection, EventType::Disconnect, "$disconnect", String::new());
    if let Err(error) = shared.integrator.run(integration, &request).await {
        tracing::warn!(connection_id = %connection.id, %error, "$disconnect integration failed");
    }
}

/// API Gateway's own error frames.
fn error_frame(message: &str, request: &Request) -> String {
    json!({ "message": message, "connectionId": request.connection_id, "requestId": request.request_id })
        .to_string()
}

impl Shared {
    fn request(
        &self,
        connection: &Connection,
        event_type: EventType,
        route_key: &str,
        body: String,
    ) -> Request {
        Request {
            event_type,
            route_key: route_key.to_owned(),
            connection_id: connection.id.clone(),
            request_id: ids::request_id(),
            message_id: (event_type == EventType::Message).then(ids::request_id),
            connected_at_ms: connection.connected_at_ms,
            request_time_ms: now_ms(),
            source_ip: connection.source_ip.clone(),
            user_agent: connection.user_agent.clone(),
            stage: self.api.stage.name.clone(),
            api_id: self.api_id.clone(),
            domain_name: self.domain_name.clone(),
            body,
            handshake: None,
            authorizer: connection.authorizer.clone(),
            api_key: connection.api_key.clone(),
        }
    }
}
