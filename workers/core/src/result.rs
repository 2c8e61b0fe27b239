//! The one message every job sends back to its originating connection.

use serde::Serialize;
use serde_json::Value;

use crate::failure::Failure;

/// The JSON posted to the client when its job is done:
/// `{"type":"result","requestId":…,"task":…,"status":"ok","data":…}`, or `"status":"error"`
/// with an `error` (`{"reason":…,"message":…}`) instead of `data`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultMessage<'a> {
    /// Always `"result"` (JSON `type`), which tells results from broadcasts (`"broadcast"`).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The job's `requestId`; `None` (JSON `null`) when an invalid body had none.
    pub request_id: Option<&'a str>,
    /// The job's `task` as it was sent, known or not; `None` (JSON `null`) when the body had none.
    pub task: Option<&'a str>,
    /// Whether the job succeeded.
    pub status: Status,
    /// The task's output; only with [`Status::Ok`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Why the job failed; only with [`Status::Error`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
}

/// A result's `status`, in lower case on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// `ok`: the task ran; its output is in `data`.
    Ok,
    /// `error`: the job failed; the reason is in `error`.
    Error,
}

impl<'a> ResultMessage<'a> {
    /// A successful result carrying the task's output `data`.
    pub fn ok(request_id: Option<&'a str>, task: Option<&'a str>, data: Value) -> Self {
        ResultMessage {
            kind: "result",
            request_id,
            task,
            status: Status::Ok,
            data: Some(data),
            error: None,
        }
    }

    /// A failed result carrying `failure`.
    pub fn error(request_id: Option<&'a str>, task: Option<&'a str>, failure: Failure) -> Self {
        ResultMessage {
            kind: "result",
            request_id,
            task,
            status: Status::Error,
            data: None,
            error: Some(failure),
        }
    }

    /// The message as the JSON payload of a post.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("result messages serialize")
    }
}
