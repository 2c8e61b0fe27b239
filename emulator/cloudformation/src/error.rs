//! Everything that can go wrong between reading a template and provisioning it.

use std::path::PathBuf;

/// What the crate's fallible functions return.
pub(crate) type Result<T> = std::result::Result<T, StackError>;

/// An error naming where it happened: a file, or a path inside the template such as
/// `Resources.JobsQueue.Properties.RedrivePolicy.deadLetterTargetArn`.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// The template file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The template file.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The template file is not JSON, and no Python was given to read it as YAML.
    #[error("{path} is not JSON ({source}); YAML templates are read with the project venv: run `make venv`")]
    Json {
        /// The template file.
        path: PathBuf,
        /// Where and why parsing failed.
        source: serde_json::Error,
    },
    /// A SAM template, and no Python was given to translate it.
    #[error(
        "{path} is a SAM template; it is translated with the project venv's SAM translator: run `make venv`"
    )]
    NeedsTranslator {
        /// The template file.
        path: PathBuf,
    },
    /// The YAML reader or the SAM translator refused the template: one message per problem,
    /// naming the resource.
    #[error("{path} cannot be read:\n  - {}", errors.join("\n  - "))]
    Refused {
        /// The template file.
        path: PathBuf,
        /// What the reader or the translator said.
        errors: Vec<String>,
    },
    /// The template's shape is wrong (not an object, a resource without `Type`, a property of
    /// the wrong type, an intrinsic with wrong arguments…).
    #[error("{path}: {message}")]
    Invalid {
        /// Where in the template, e.g. `Resources.Fn.Properties.Timeout`.
        path: String,
        /// What is wrong there.
        message: String,
    },
    /// A `Ref`, `Fn::GetAtt` or `${…}` names neither a resource nor a parameter (nor a pseudo
    /// parameter).
    #[error("{path}: unknown logical id or parameter `{id}`")]
    UnknownLogicalId {
        /// Where the reference is.
        path: String,
        /// The name referred to.
        id: String,
    },
    /// `Fn::GetAtt` asks for an attribute local mode has no value for on a type it knows.
    #[error("{path}: resource `{id}` ({kind}) has no attribute `{attribute}` in local mode")]
    UnknownAttribute {
        /// Where the `Fn::GetAtt` is.
        path: String,
        /// The resource's logical id.
        id: String,
        /// The resource's `Type`.
        kind: String,
        /// The attribute asked for; `(Ref)` for a `Ref`.
        attribute: String,
    },
    /// Resolving a value needs the value itself: resources or conditions that refer to each
    /// other, or queues that are each other's dead-letter queue.
    #[error("{path}: circular reference: {}", chain.join(" -> "))]
    Circular {
        /// Where the cycle closed.
        path: String,
        /// The logical ids (and `Condition:{name}` for conditions) on the cycle, in order.
        chain: Vec<String>,
    },
    /// `Fn::ImportValue`: exports of other stacks do not exist locally.
    #[error("{path}: Fn::ImportValue `{name}` is not available locally (no other stacks exist); give the value as a parameter instead")]
    ImportValue {
        /// Where the `Fn::ImportValue` is.
        path: String,
        /// The export's name (or, when it cannot be resolved, the unresolved argument).
        name: String,
    },
    /// A reference to a resource whose `Condition` is false, so that it does not exist.
    #[error("{path}: references resource `{id}`, which its condition `{condition}` leaves out")]
    ConditionedOut {
        /// Where the reference is.
        path: String,
        /// The resource's logical id.
        id: String,
        /// The name of the resource's condition.
        condition: String,
    },
    /// A call to the backend failed.
    #[error("backend: {what}: {message}")]
    Backend {
        /// What was being done, e.g. `queue JobsQueue (wsflow-JobsQueue)`.
        what: String,
        /// The backend's (or the SDK's) error.
        message: String,
    },
    /// The backend created something other than what the resolver predicted (other values of
    /// the template embed the prediction, so they would be wrong).
    #[error("backend: {what}: the backend says `{actual}`, the resolver predicted `{expected}`")]
    Mismatch {
        /// Which value, e.g. `URL of queue JobsQueue (wsflow-JobsQueue)`.
        what: String,
        /// The resolver's value.
        expected: String,
        /// The backend's value.
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
