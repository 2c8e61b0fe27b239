//! The REQUEST authorizer event API Gateway sends for a WebSocket `$connect`, and where the
//! client's token is in it.
//!
//! Our own structs rather than `aws_lambda_events`': its request context has no `connectionId`
//! (short of the crate-wide `catch-all-fields` feature), and only the fields read here are kept.

use std::collections::HashMap;

use serde::Deserialize;

/// The part of API Gateway's REQUEST authorizer event for `$connect` that the authorizer reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectRequest {
    /// `arn:aws:execute-api:{region}:{account}:{api}/{stage}/$connect`: what the policy allows.
    pub method_arn: String,
    /// Names in the client's case; API Gateway sends `null` when there are none.
    #[serde(default)]
    pub headers: Option<HashMap<String, String>>,
    /// The handshake URL's query string parameters; `None` when there are none.
    #[serde(default)]
    pub query_string_parameters: Option<HashMap<String, String>>,
    /// The event's `requestContext`; empty when the event has none.
    #[serde(default)]
    pub request_context: RequestContext,
}

/// The event's `requestContext`, reduced to what the authorizer logs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestContext {
    /// API Gateway's id of the connection being authorized; `None` when the event lacks it.
    #[serde(default)]
    pub connection_id: Option<String>,
}

impl ConnectRequest {
    /// The bearer token of the `Authorization` header, else the `token` query string parameter:
    /// browsers cannot set headers on a WebSocket handshake.
    pub fn token(&self) -> Option<&str> {
        self.bearer_token().or_else(|| self.query_token())
    }

    /// The value of the header `name`, whatever the case the client wrote it in (HTTP header
    /// names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let (_, value) = self
            .headers
            .as_ref()?
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))?;
        Some(value)
    }

    fn bearer_token(&self) -> Option<&str> {
        let (scheme, token) = self.header("authorization")?.trim().split_once(' ')?;
        non_empty(token).filter(|_| scheme.eq_ignore_ascii_case("bearer"))
    }

    fn query_token(&self) -> Option<&str> {
        non_empty(self.query_string_parameters.as_ref()?.get("token")?)
    }
}

fn non_empty(token: &str) -> Option<&str> {
    Some(token.trim()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(headers: serde_json::Value, query: serde_json::Value) -> ConnectRequest {
        serde_json::from_value(json!({
            "type": "REQUEST",
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc/dev/$connect",
            "headers": headers,
            "queryStringParameters": query,
            "requestContext": { "connectionId": "L0SM9cOFvHcCIhw=", "routeKey": "$connect" },
        }))
        .unwrap()
    }

    #[test]
    fn the_bearer_header_is_found_whatever_the_case_of_name_and_scheme() {
        for (name, value) in [
            ("Authorization", "Bearer abc.def.ghi"),
            ("authorization", "bearer abc.def.ghi"),
            ("AUTHORIZATION", "BEARER   abc.def.ghi "),
        ] {
            let r = request(json!({ name: value, "Host": "x" }), json!(null));
            assert_eq!(r.token(), Some("abc.def.ghi"), "{name}: {value}");
        }
    }

    #[test]
    fn the_header_wins_over_the_query_string() {
        let r = request(
            json!({ "Authorization": "Bearer from-header" }),
            json!({ "token": "from-query" }),
        );
        assert_eq!(r.token(), Some("from-header"));
    }

    #[test]
    fn the_query_string_is_used_when_the_header_is_missing_empty_or_not_bearer() {
        for headers in [
            json!(null),
            json!({ "Host": "x" }),
            json!({ "Authorization": "" }),
            json!({ "Authorization": "Bearer" }),
            json!({ "Authorization": "Bearer   " }),
            json!({ "Authorization": "Basic dXNlcjpwYXNz" }),
        ] {
            let r = request(headers.clone(), json!({ "token": "from-query" }));
            assert_eq!(r.token(), Some("from-query"), "{headers}");
        }
    }

    #[test]
    fn headers_are_found_whatever_their_case() {
        let r = request(json!({ "x-origin-verify": "v" }), json!(null));
        assert_eq!(r.header("X-Origin-Verify"), Some("v"));
        assert_eq!(r.header("X-Other"), None);
        assert_eq!(request(json!(null), json!(null)).header("X-Origin-Verify"), None);
    }

    #[test]
    fn no_token_anywhere_is_none() {
        for query in [
            json!(null),
            json!({}),
            json!({ "token": "" }),
            json!({ "Token": "x" }),
        ] {
            let r = request(json!({ "Authorization": "Bearer " }), query.clone());
            assert_eq!(r.token(), None, "{query}");
        }
        let bare: ConnectRequest = serde_json::from_value(json!({ "methodArn": "arn" })).unwrap();
        assert_eq!(bare.token(), None);
    }
}
