//! Local Lambda: the template's functions run as local processes of their real binaries,
//! behind the Lambda Runtime API, and the SQS event source mappings that feed them.
//!
//! The model, from the bottom up:
//!
//! - A [`FunctionProcess`] is one execution environment: a process of the function's binary,
//!   started from a [`FunctionSpec`] (binary, environment, timeout), that polls its own Runtime
//!   API (`/2018-06-01/runtime/...`, served on a loopback port) and so serves one invocation at
//!   a time, as any custom runtime (`lambda_runtime` included) does in AWS. An invocation fails
//!   with an [`InvokeError`].
//! - A [`pool::Pool`] keeps up to a few processes of one function, so invocations can run
//!   concurrently; a process that crashed or timed out is replaced by a fresh one.
//! - [`functions::LocalFunctions`] holds a pool for every function of the template (started
//!   from a [`functions::FunctionHost`]: where the binaries are, how many processes each may
//!   have), reports how each fared at startup ([`functions::FunctionStatus`]), and implements
//!   [`Functions`].
//! - [`Functions`] is how the rest of local mode invokes a function, by its logical id: the
//!   API Gateway emulator calls it for `AWS_PROXY` integrations and authorizers, the event
//!   sources for SQS batches. It fails with a [`FunctionError`].
//! - [`event_sources::EventSources`] emulates the SQS event source mappings, each resolved
//!   into an [`event_sources::Mapping`] (with [`event_sources::PollSettings`]): pollers receive
//!   batches from the queue, build Lambda's SQS event ([`sqs_event`]), invoke the function and
//!   delete the messages its answer says succeeded ([`batch_outcome`]); the others reappear
//!   after their visibility timeout, as in AWS.

#![warn(missing_docs)]

pub mod batch_outcome;
pub mod event_sources;
pub mod functions;
pub mod pool;
mod process;
mod runtime_api;
pub mod runtimes;
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
