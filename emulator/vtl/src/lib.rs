//! A Velocity Template Language engine for the Amazon API Gateway
//! mapping-template dialect: the templates that shape integration requests
//! (DynamoDB, SQS, Step Functions, …) and integration responses, WebSocket
//! APIs included.
//!
//! The model: [`MappingTemplate::parse`] turns template source into a
//! [`MappingTemplate`], parsed once and reusable across renders (or fails with
//! a [`ParseError`]). [`MappingTemplate::render`] evaluates it against a
//! [`RenderContext`], which holds what API Gateway exposes to a template: the
//! body (`$input`), `$context`, `$stageVariables` and the request's parameters.
//! A render that fails, or exceeds one of the [`limits`], is a [`RenderError`];
//! both errors carry the 1-based line and column they refer to. A template
//! without references or directives renders without evaluation
//! ([`MappingTemplate::static_text`]).
//!
//! ```
//! use wsflow_vtl::{RenderContext, MappingTemplate};
//!
//! let template = MappingTemplate::parse(r#"{"id": "$context.connectionId", "body": $input.json('$.data')}"#).unwrap();
//! let ctx = RenderContext {
//!     body: r#"{"data": {"n": 1}}"#.into(),
//!     context: serde_json::json!({"connectionId": "abc="}),
//!     ..Default::default()
//! };
//! assert_eq!(template.render(&ctx).unwrap(), r#"{"id": "abc=", "body": {"n":1}}"#);
//! ```
//!
//! See the crate README for the dialect covered, the whitespace rule and the limits.

#![warn(missing_docs)]

mod ast;
mod error;
mod eval;
mod input;
mod jregex;
mod lexer;
mod methods;
mod ops;
mod parser;
mod util_object;
mod value;

use std::collections::BTreeMap;

pub use error::{ParseError, RenderError};

/// Bounds that keep a render cheap whatever the body or template holds.
/// Exceeding one is a [`RenderError`] (or a [`ParseError`] for nesting).
pub mod limits {
    /// Items one `#foreach` may iterate over.
    pub const MAX_FOREACH_ITERATIONS: usize = 10_000;
    /// Evaluation steps per render: one per node and expression, plus the
    /// size of every value copied (one per node and per 64 bytes of text).
    pub const MAX_STEPS: u64 = 1_000_000;
    /// Size of the output and of any single string value.
    pub const MAX_TEXT_BYTES: usize = 10 * 1024 * 1024;
    /// Nesting of blocks, parentheses, collection literals and interpolated strings.
    pub const MAX_NESTING: usize = 64;
    /// Nesting of list and map values (JSON bodies are limited to 128 by the parser).
    pub const MAX_VALUE_DEPTH: usize = 200;
    /// Items a range literal such as `[1..10]` may produce.
    pub const MAX_RANGE_LEN: usize = 100_000;
}

/// A parsed template, reusable across renders.
#[derive(Debug, Clone)]
pub struct MappingTemplate {
    nodes: Vec<ast::Node>,
    /// The output of a template without references or directives, which needs no evaluation.
    static_text: Option<String>,
}

impl MappingTemplate {
    /// Parses template source.
    pub fn parse(source: &str) -> Result<MappingTemplate, ParseError> {
        let nodes = parser::parse_template(source)?;
        let static_text = nodes
            .iter()
            .map(|node| match node {
                ast::Node::Text(text, _) => Some(text.as_str()),
                _ => None,
            })
            .collect::<Option<String>>();
        Ok(MappingTemplate { nodes, static_text })
    }

    /// The output when it does not depend on the context: callers may skip building one.
    pub fn static_text(&self) -> Option<&str> {
        self.static_text.as_deref()
    }

    /// Renders the template for one request or integration response.
    pub fn render(&self, ctx: &RenderContext) -> Result<String, RenderError> {
        match &self.static_text {
            Some(text) => Ok(text.clone()),
            None => eval::render(&self.nodes, ctx),
        }
    }
}

/// What API Gateway exposes to a template.
#[derive(Debug, Default, Clone)]
pub struct RenderContext {
    /// The raw request (or integration response) body: `$input.body`,
    /// parsed as JSON for `$input.json`/`$input.path`.
    pub body: String,
    /// An object: `$context.*`, nested (`$context.identity.sourceIp`).
    /// Give numbers such as `requestTimeEpoch` as JSON numbers.
    pub context: serde_json::Value,
    /// An object: `$stageVariables.*`.
    pub stage_variables: serde_json::Value,
    /// `$input.params().header`, searched last by `$input.params('name')`.
    pub headers: BTreeMap<String, String>,
    /// `$input.params().querystring`.
    pub query: BTreeMap<String, String>,
    /// `$input.params().path`, searched first by `$input.params('name')`.
    pub path: BTreeMap<String, String>,
}
