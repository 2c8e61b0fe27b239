//! Why a job could not be done, in words a client, an operator and a DLQ attribute can share.

use serde::Serialize;

/// Machine-readable reason codes. They appear in result messages (`error.reason`) and in the
/// `ErrorReason` attribute of dead-lettered messages, so they are part of the public contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    MessageTooLarge,
    MalformedJson,
    NotAnObject,
    MissingField,
    InvalidField,
    UnknownField,
    UnsupportedVersion,
    UnknownTask,
    InvalidConnectionId,
    InvalidData,
    TaskFailed,
    WorkflowFailed,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::MessageTooLarge => "message_too_large",
            Reason::MalformedJson => "malformed_json",
            Reason::NotAnObject => "not_an_object",
            Reason::MissingField => "missing_field",
            Reason::InvalidField => "invalid_field",
            Reason::UnknownField => "unknown_field",
            Reason::UnsupportedVersion => "unsupported_version",
            Reason::UnknownTask => "unknown_task",
            Reason::InvalidConnectionId => "invalid_connection_id",
            Reason::InvalidData => "invalid_data",
            Reason::TaskFailed => "task_failed",
            Reason::WorkflowFailed => "workflow_failed",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A permanent failure: retrying the same message cannot succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{reason}: {message}")]
pub struct Failure {
    pub reason: Reason,
    pub message: String,
}

impl Failure {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Failure {
            reason,
            message: message.into(),
        }
    }
}
