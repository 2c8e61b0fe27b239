//! The one message every job sends back to its originating connection.

use serde::Serialize;
use serde_json::Value;

use crate::failure::Failure;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultMessage<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub request_id: Option<&'a str>,
    pub task: Option<&'a str>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Error,
}

impl<'a> ResultMessage<'a> {
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

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("result messages serialize")
    }
}
