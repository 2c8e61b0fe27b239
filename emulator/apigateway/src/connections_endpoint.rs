//! The `@connections` management API (`POST`, `GET`, `DELETE /{stage}/@connections/{id}`),
//! answering as API Gateway does so the official SDKs and CLI work against it unchanged.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::registry::{Connection, Outbound};
use crate::{Shared, MAX_MESSAGE_BYTES};

fn connection(shared: &Shared, params: &HashMap<String, String>) -> Option<Arc<Connection>> {
    shared
        .registry
        .get(params.get("id").map(String::as_str).unwrap_or_default())
}

fn gone() -> Response {
    let headers = [("x-amzn-ErrorType", "GoneException")];
    (StatusCode::GONE, headers, r#"{"message":null}"#).into_response()
}

pub async fn post(
    State(shared): State<Arc<Shared>>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let Some(connection) = connection(&shared, &params) else {
        return gone();
    };
    if body.len() > MAX_MESSAGE_BYTES {
        let headers = [("x-amzn-ErrorType", "PayloadTooLargeException")];
        let message = json!({ "message": format!("Message is {} bytes; the limit is {MAX_MESSAGE_BYTES}", body.len()) });
        return (StatusCode::PAYLOAD_TOO_LARGE, headers, message.to_string()).into_response();
    }
    if !connection.send(Outbound::Text(String::from_utf8_lossy(&body).into_owned())) {
        return gone();
    }
    StatusCode::OK.into_response()
}

pub async fn get(State(shared): State<Arc<Shared>>, Path(params): Path<HashMap<String, String>>) -> Response {
    match connection(&shared, &params) {
        Some(c) => {
            let last_active = c.last_active_ms.load(std::sync::atomic::Ordering::Relaxed);
            let body = json!({
                "connectedAt": iso8601(c.connected_at_ms),
                "identity": { "sourceIp": c.source_ip, "userAgent": c.user_agent },
                "lastActiveAt": iso8601(last_active),
            });
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                body.to_string(),
            )
                .into_response()
        }
        None => gone(),
    }
}

pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(params): Path<HashMap<String, String>>,
) -> Response {
    match connection(&shared, &params) {
        Some(c) => {
            c.send(Outbound::Close {
                code: 1000,
                reason: "Connection closed by the API",
            });
            StatusCode::NO_CONTENT.into_response()
        }
        None => gone(),
    }
}

fn iso8601(epoch_ms: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(epoch_ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}
