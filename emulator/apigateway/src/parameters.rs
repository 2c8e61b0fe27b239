//! An integration's `RequestParameters`: each `integration.request.{header|querystring|path}.NAME`
//! takes the value of a mapping expression, as "Set up data mapping for WebSocket APIs in API
//! Gateway" lists them (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-data-mapping.html):
//! `route.request.header.NAME`, `route.request.querystring.NAME` and their `multivalue` forms
//! (the handshake's, so only on `$connect`), `route.request.body.JSONPATH`,
//! `stageVariables.NAME`, `context.NAME` and `'static value'`.
//!
//! An expression without a value (a header the handshake lacks, a context field no authorizer
//! set) sends no parameter: AWS does not say what it does then, and sending nothing never
//! invents a value the backend would trust.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::request::Request;
use crate::routing;

/// The parameters to send, by where they go.
#[derive(Debug, Default, PartialEq)]
pub struct Mapped {
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub path: BTreeMap<String, String>,
}

/// Evaluates every mapping of `parameters` for `request`.
pub fn map(parameters: &BTreeMap<String, String>, request: &Request, stage_variables: &Value) -> Mapped {
    let mut sources = Sources {
        request,
        stage_variables,
        context: None,
    };
    let mut mapped = Mapped::default();
    for (target, expression) in parameters {
        let Some(value) = sources.value(expression) else {
            tracing::debug!(%target, %expression, "the mapping expression has no value; the parameter is not sent");
            continue;
        };
        if let Some(name) = target.strip_prefix("integration.request.header.") {
            mapped.headers.push((name.to_owned(), value));
        } else if let Some(name) = target.strip_prefix("integration.request.querystring.") {
            mapped.query.push((name.to_owned(), value));
        } else if let Some(name) = target.strip_prefix("integration.request.path.") {
            mapped.path.insert(name.to_owned(), value);
        } else {
            tracing::debug!(%target, "not an integration request parameter; ignored");
        }
    }
    mapped
}

struct Sources<'a> {
    request: &'a Request,
    stage_variables: &'a Value,
    /// `$context`, built on the first `context.*` expression.
    context: Option<Value>,
}

impl Sources<'_> {
    fn value(&mut self, expression: &str) -> Option<String> {
        if let Some(literal) = expression.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
            return Some(literal.to_owned());
        }
        let handshake = self.request.handshake.as_ref();
        if let Some(name) = strip_either(
            expression,
            "route.request.header.",
            "route.request.multivalueheader.",
        ) {
            return handshake?.header(name).cloned();
        }
        if let Some(name) = strip_either(
            expression,
            "route.request.querystring.",
            "route.request.multivaluequerystring.",
        ) {
            return handshake?.query.get(name).cloned();
        }
        if let Some(path) = expression.strip_prefix("route.request.body.") {
            return routing::body_field(&self.request.body, path.trim_start_matches("$."));
        }
        if let Some(name) = expression.strip_prefix("stageVariables.") {
            return routing::scalar_text(self.stage_variables.get(name)?);
        }
        let path = expression.strip_prefix("context.")?;
        let context = self.context.get_or_insert_with(|| self.request.context());
        let value = path.split('.').try_fold(&*context, |value, key| value.get(key))?;
        routing::scalar_text(value)
    }
}

fn strip_either<'e>(expression: &'e str, one: &str, other: &str) -> Option<&'e str> {
    expression
        .strip_prefix(one)
        .or_else(|| expression.strip_prefix(other))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::request::{EventType, Handshake};

    fn request(handshake: Option<Handshake>) -> Request {
        Request {
            event_type: EventType::Message,
            route_key: "sendmessage".into(),
            connection_id: "L0SM9cOFvHcCIhw=".into(),
            request_id: "Jv-PRGfYIAMFrDg=".into(),
            message_id: None,
            connected_at_ms: 0,
            request_time_ms: 0,
            source_ip: "127.0.0.1".into(),
            user_agent: String::new(),
            stage: "dev".into(),
            api_id: "local0000a".into(),
            domain_name: "127.0.0.1:8080".into(),
            body: r#"{"action":"sendmessage","order":{"id":7}}"#.into(),
            handshake,
            authorizer: Some(Arc::new(json!({"principalId": "alice", "userId": "u-1"}))),
            api_key: None,
        }
    }

    fn parameters(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn context_stage_variables_body_and_literals_are_mapped() {
        let mapped = map(
            &parameters(&[
                ("integration.request.header.connectionId", "context.connectionId"),
                ("integration.request.header.userId", "context.authorizer.userId"),
                ("integration.request.header.Content-Type", "'application/json'"),
                (
                    "integration.request.querystring.order",
                    "route.request.body.$.order.id",
                ),
                ("integration.request.path.env", "stageVariables.env"),
            ]),
            &request(None),
            &json!({"env": "dev"}),
        );
        assert_eq!(
            mapped.headers,
            [
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("connectionId".to_owned(), "L0SM9cOFvHcCIhw=".to_owned()),
                ("userId".to_owned(), "u-1".to_owned()),
            ]
        );
        assert_eq!(mapped.query, [("order".to_owned(), "7".to_owned())]);
        assert_eq!(mapped.path["env"], "dev");
    }

    #[test]
    fn handshake_sources_exist_only_on_connect_and_missing_values_send_nothing() {
        let wanted = parameters(&[
            (
                "integration.request.header.Origin-Verify",
                "route.request.header.X-Origin-Verify",
            ),
            (
                "integration.request.querystring.room",
                "route.request.querystring.room",
            ),
            ("integration.request.header.plan", "context.authorizer.plan"),
        ]);
        let handshake = Handshake {
            headers: [("x-origin-verify".to_owned(), "s3cret".to_owned())].into(),
            query: [("room".to_owned(), "lobby".to_owned())].into(),
        };
        let on_connect = map(&wanted, &request(Some(handshake)), &json!({}));
        assert_eq!(
            on_connect.headers,
            [("Origin-Verify".to_owned(), "s3cret".to_owned())]
        );
        assert_eq!(on_connect.query, [("room".to_owned(), "lobby".to_owned())]);
        assert_eq!(map(&wanted, &request(None), &json!({})), Mapped::default());
    }
}
