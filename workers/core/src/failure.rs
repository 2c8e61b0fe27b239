//! Why a job could not be done, in words a client, an operator and a DLQ attribute can share.

use serde::Serialize;

/// Machine-readable reason codes. They appear in result messages (`error.reason`) and in the
/// `ErrorReason` attribute of dead-lettered messages, so they are part of the public contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// `message_too_large`: the body exceeds SQS' 1 MiB message limit.
    MessageTooLarge,
    /// `malformed_json`: the body is not JSON.
    MalformedJson,
    /// `not_an_object`: the body is JSON but not an object.
    NotAnObject,
    /// `missing_field`: a required envelope field is absent.
    MissingField,
    /// `invalid_field`: an envelope field has the wrong type or is out of range.
    InvalidField,
    /// `unknown_field`: the envelope has a field version 1 does not define.
    UnknownField,
    /// `unsupported_version`: `v` is not the version this worker reads.
    UnsupportedVersion,
    /// `unknown_task`: `task` names no task.
    UnknownTask,
    /// `invalid_connection_id`: `connectionId` is not an API Gateway connection id.
    InvalidConnectionId,
    /// `invalid_data`: `data` breaks the rules of its task (a missing or invalid topic, …).
    InvalidData,
    /// `task_failed`: a service refused the task's call for good (a permanent port error).
    TaskFailed,
    /// `workflow_failed`: the Step Functions execution a `workflow-result` reports failed; the
    /// client is told, the message is not dead-lettered.
    WorkflowFailed,
    /// `reply_too_large`: the job ran, but its result exceeds the 128 KB payload limit of a
    /// WebSocket message, so it cannot be posted; the client gets this short error instead.
    ReplyTooLarge,
    /// `reply_refused`: the job ran, but `@connections` refused its result for good (a 4xx other
    /// than 410 and throttling).
    ReplyRefused,
    /// `idempotency_conflict`: a job with the same identity (source, task and `requestId`) was
    /// already taken with a different payload; the new one is refused rather than treated as a
    /// repeat.
    IdempotencyConflict,
}

impl Reason {
    /// The reason code as it appears on the wire (snake case).
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
            Reason::ReplyTooLarge => "reply_too_large",
            Reason::ReplyRefused => "reply_refused",
            Reason::IdempotencyConflict => "idempotency_conflict",
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
    /// The machine-readable code.
    pub reason: Reason,
    /// A human-readable explanation naming the offending field or rule.
    pub message: String,
}

impl Failure {
    /// A failure with `reason`, explained by `message`.
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Failure {
            reason,
            message: message.into(),
        }
    }
}
