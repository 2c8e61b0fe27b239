//! Everything that can go wrong between reading a template and provisioning it.

use std::path::PathBuf;

/// An error naming where it happened: a file, or a path inside the template such as
/// `Resources.JobsQueue.Properties.RedrivePolicy.deadLetterTargetArn`.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    /// The template's shape is wrong (not an object, a resource without `Type`, a property of
    /// the wrong type, an intrinsic with wrong arguments…).
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: unknown logical id or parameter `{id}`")]
    UnknownLogicalId { path: String, id: String },
    #[error("{path}: resource `{id}` ({kind}) has no attribute `{attribute}` in local mode")]
    UnknownAttribute {
        path: String,
        id: String,
        kind: String,
        attribute: String,
    },
    #[error("{path}: circular reference: {}", chain.join(" -> "))]
    Circular { path: String, chain: Vec<String> },
    #[error("{path}: Fn::ImportValue `{name}` is not available locally (no other stacks exist); give the value as a parameter instead")]
    ImportValue { path: String, name: String },
    #[error("{path}: references resource `{id}`, which its condition `{condition}` leaves out")]
    ConditionedOut {
        path: String,
        id: String,
        condition: String,
    },
    /// A call to the backend failed.
    #[error("backend: {what}: {message}")]
    Backend { what: String, message: String },
    /// The backend created something other than what the resolver predicted (other values of
    /// the template embed the prediction, so they would be wrong).
    #[error("backend: {what}: the backend says `{actual}`, the resolver predicted `{expected}`")]
    Mismatch {
        what: String,
        expected: String,
        actual: String,
    },
}

impl StackError {
    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        StackError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }

    pub(crate) fn backend(what: impl Into<String>, error: impl std::fmt::Display) -> Self {
        StackError::Backend {
            what: what.into(),
            message: error.to_string(),
        }
    }
}
