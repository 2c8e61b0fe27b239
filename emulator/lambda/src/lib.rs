//! Local Lambda: functions run as local processes behind the Lambda Runtime API, and the SQS
//! event source mappings that feed them.
//!
//! - [`Functions`] is how anything else in local mode invokes a function of the template (by
//!   logical id); [`FunctionError`] is what an invocation can fail with.
//! - [`FunctionProcess`] is one execution environment: a process of the function's binary
//!   serving one invocation at a time through its own Runtime API (`runtime_api`).
//! - [`pool::Pool`] keeps a few processes of one function; [`functions::LocalFunctions`] holds
//!   a pool per template function and implements [`Functions`].
//! - [`event_sources::EventSources`] emulates the SQS event source mappings: it polls a queue,
//!   builds Lambda's SQS event ([`sqs_event`]), invokes the function and deletes what its answer
//!   says succeeded ([`batch_outcome`]).

#![warn(missing_docs)]

pub mod batch_outcome;
pub mod event_sources;
pub mod functions;
pub mod pool;
mod process;
mod runtime_api;
pub mod sqs_event;

use async_trait::async_trait;
use serde_json::Value;

pub use process::{FunctionProcess, FunctionSpec, InvokeError};

/// Invokes the template's Lambda functions (local mode runs the real binaries).
#[async_trait]
pub trait Functions: Send + Sync {
    /// `function` is the logical id of the function in the template.
    async fn invoke(&self, function: &str, event: &Value) -> Result<Value, FunctionError>;
}

/// Why an invocation produced no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FunctionError {
    /// The handler returned an error; API Gateway reads its message (an authorizer's
    /// `Unauthorized` means 401).
    #[error("function error {error_type}: {message}")]
    Handler {
        /// `errorType` of the handler's error.
        error_type: String,
        /// `errorMessage` of the handler's error.
        message: String,
    },
    /// It did not start, crashed or timed out.
    #[error("{0}")]
    Failed(String),
}
