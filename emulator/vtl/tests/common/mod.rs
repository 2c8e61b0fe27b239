//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;

use wsflow_vtl::{MappingTemplate, RenderContext};

/// A context shaped like a WebSocket `$default` route invocation.
pub fn ctx(body: &str) -> RenderContext {
    RenderContext {
        body: body.to_string(),
        context: serde_json::json!({
            "connectionId": "L0SM9cOFvHcCIhw=",
            "requestId": "req-1",
            "routeKey": "$default",
            "requestTimeEpoch": 1_700_000_000_123_i64,
            "identity": {"sourceIp": "203.0.113.7"},
            "authorizer": {"principalId": "user-42"},
        }),
        stage_variables: serde_json::json!({"table": "connections", "queue": "jobs.fifo"}),
        headers: map(&[
            ("Host", "example.com"),
            ("X-Trace", "header-trace"),
            ("id", "from-header"),
        ]),
        query: map(&[("limit", "10"), ("id", "from-query")]),
        path: map(&[("id", "from-path")]),
    }
}

pub fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Parses and renders, panicking with the error (tests only).
pub fn render(template: &str, body: &str) -> String {
    let parsed = MappingTemplate::parse(template).unwrap_or_else(|e| panic!("parse {template:?}: {e}"));
    parsed
        .render(&ctx(body))
        .unwrap_or_else(|e| panic!("render {template:?}: {e}"))
}
