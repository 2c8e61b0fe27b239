//! One request through the gateway (a connect, a message or a disconnect): its `$context`
//! and, for Lambda proxy integrations, its event.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::api_keys::MeteredKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Connect,
    Message,
    Disconnect,
}

impl EventType {
    fn as_str(self) -> &'static str {
        match self {
            EventType::Connect => "CONNECT",
            EventType::Message => "MESSAGE",
            EventType::Disconnect => "DISCONNECT",
        }
    }
}

/// The handshake's headers and query string, after the edge function, as `$connect` sees them.
#[derive(Debug, Clone, Default)]
pub struct Handshake {
    /// Header names as the client sent them (plus those API Gateway adds); repeated headers
    /// joined with commas.
    pub headers: BTreeMap<String, String>,
    /// Query string parameters; repeated ones joined with commas.
    pub query: BTreeMap<String, String>,
}

impl Handshake {
    /// A header by name, in any case (HTTP header names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&String> {
        header(&self.headers, name)
    }
}

/// A header of `headers` by name, in any case.
pub fn header<'a>(headers: &'a BTreeMap<String, String>, name: &str) -> Option<&'a String> {
    headers
        .iter()
        .find(|(sent, _)| sent.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

#[derive(Debug, Clone)]
pub struct Request {
    pub event_type: EventType,
    pub route_key: String,
    pub connection_id: String,
    pub request_id: String,
    pub message_id: Option<String>,
    pub connected_at_ms: u64,
    pub request_time_ms: u64,
    pub source_ip: String,
    pub user_agent: String,
    pub stage: String,
    pub api_id: String,
    pub domain_name: String,
    pub body: String,
    /// Set on `$connect` only, as in API Gateway.
    pub handshake: Option<Handshake>,
    /// `$context.authorizer`: what the `$connect` authorizer returned, for the connection's life.
    pub authorizer: Option<Arc<Value>>,
    /// The connection's API key (`$context.identity.apiKey`, `apiKeyId`).
    pub api_key: Option<Arc<MeteredKey>>,
}

impl Request {
    /// `$context` as templates and proxy events see it.
    pub fn context(&self) -> Value {
        let mut context = json!({
            "apiId": self.api_id,
            "connectedAt": self.connected_at_ms,
            "connectionId": self.connection_id,
            "domainName": self.domain_name,
            "eventType": self.event_type.as_str(),
            "extendedRequestId": self.request_id,
            "identity": { "sourceIp": self.source_ip, "userAgent": self.user_agent },
            "messageDirection": "IN",
            "requestId": self.request_id,
            "requestTime": request_time(self.request_time_ms),
            "requestTimeEpoch": self.request_time_ms,
            "routeKey": self.route_key,
            "stage": self.stage,
        });
        if let Some(message_id) = &self.message_id {
            context["messageId"] = json!(message_id);
        }
        if let Some(authorizer) = &self.authorizer {
            context["authorizer"] = authorizer.as_ref().clone();
        }
        if let Some(key) = &self.api_key {
            context["identity"]["apiKey"] = json!(key.value);
            context["identity"]["apiKeyId"] = json!(key.id);
        }
        context
    }

    /// The event an AWS_PROXY Lambda receives.
    pub fn proxy_event(&self) -> Value {
        let mut event = Map::new();
        if let Some(handshake) = &self.handshake {
            event.insert("headers".into(), json!(handshake.headers));
            event.insert("multiValueHeaders".into(), multi(&handshake.headers));
            if !handshake.query.is_empty() {
                event.insert("queryStringParameters".into(), json!(handshake.query));
                event.insert("multiValueQueryStringParameters".into(), multi(&handshake.query));
            }
        }
        event.insert("requestContext".into(), self.context());
        if self.event_type == EventType::Message {
            event.insert("body".into(), json!(self.body));
        }
        event.insert("isBase64Encoded".into(), json!(false));
        Value::Object(event)
    }
}

fn multi(map: &BTreeMap<String, String>) -> Value {
    map.iter()
        .map(|(k, v)| (k.clone(), json!([v])))
        .collect::<Map<_, _>>()
        .into()
}

/// `22/Nov/2026:03:30:00 +0000`, API Gateway's CLF-style request time.
fn request_time(epoch_ms: u64) -> String {
    let format =
        time::macros::format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(epoch_ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_time_is_formatted_like_api_gateway() {
        assert_eq!(
            super::request_time(1_732_240_000_000),
            "22/Nov/2024:01:46:40 +0000"
        );
        assert_eq!(super::request_time(0), "01/Jan/1970:00:00:00 +0000");
    }
}
