//! The outside world as the worker sees it. Production implementations live in `wsflow-aws`;
//! `memory` has in-process ones for tests and benchmarks.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::envelope::Job;
use crate::failure::Failure;
use crate::record::Record;

/// How an I/O call failed, which decides whether the job is retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// Throttling, 5xx, timeouts, lost connections: the same call may succeed later.
    #[error("transient: {0}")]
    Transient(String),
    /// The service refused the request itself: retrying cannot help.
    #[error("permanent: {0}")]
    Permanent(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// The client has disconnected (HTTP 410 from `@connections`).
    #[error("connection is gone")]
    Gone,
    #[error(transparent)]
    Failed(#[from] PortError),
}

/// `POST @connections/{id}`.
#[async_trait]
pub trait ConnectionApi: Send + Sync {
    async fn post(&self, connection_id: &str, payload: &[u8]) -> Result<(), PostError>;
}

/// Connection records and topic subscriptions.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Deletes the connection record and every subscription of a connection that is gone.
    async fn forget(&self, connection_id: &str) -> Result<(), PortError>;
    async fn subscribe(&self, connection_id: &str, topic: &str) -> Result<(), PortError>;
    async fn unsubscribe(&self, connection_id: &str, topic: &str) -> Result<(), PortError>;
    async fn subscribers(&self, topic: &str) -> Result<Vec<String>, PortError>;
}

/// Durable results of `store` jobs.
#[async_trait]
pub trait ResultStore: Send + Sync {
    /// Writes the job's data under its request id; writing the same job twice leaves one item.
    async fn put(&self, job: &Job) -> Result<(), PortError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This delivery owns the job: run it, then `complete` or `release`.
    Acquired,
    /// An earlier delivery completed the job: acknowledge without side effects.
    AlreadyDone,
    /// Another delivery is running it right now (its lock has not expired).
    InProgress,
}

/// Records processed jobs so that SQS' at-least-once delivery does not repeat side effects.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    async fn claim(&self, key: &str) -> Result<Claim, PortError>;
    async fn complete(&self, key: &str) -> Result<(), PortError>;
    async fn release(&self, key: &str) -> Result<(), PortError>;
}

/// Where permanently failed messages go, with the reason attached.
#[async_trait]
pub trait DeadLetterQueue: Send + Sync {
    async fn forward(&self, record: &Record, failure: &Failure) -> Result<(), PortError>;
}

/// The message attributes a dead-lettered message carries (see `dead_letter_attributes`).
pub mod attr {
    pub const ERROR_REASON: &str = "ErrorReason";
    pub const ERROR_MESSAGE: &str = "ErrorMessage";
    pub const TASK: &str = "Task";
    pub const FIRST_FAILURE_AT: &str = "FirstFailureAt";
}

/// SQS accepts at most this many message attributes per message.
pub const MAX_MESSAGE_ATTRIBUTES: usize = 10;

/// Attributes for a dead-lettered copy of `record`: the failure, then as many of the record's
/// own attributes as SQS still allows. An earlier first-failure time survives a replay that
/// fails again.
pub fn dead_letter_attributes(
    record: &Record,
    failure: &Failure,
    now_millis: u64,
) -> BTreeMap<String, String> {
    let job_ref = crate::envelope::JobRef::sniff(&record.body, None);
    let mut attrs = BTreeMap::new();
    attrs.insert(attr::ERROR_REASON.to_owned(), failure.reason.as_str().to_owned());
    attrs.insert(
        attr::ERROR_MESSAGE.to_owned(),
        truncate_chars(&failure.message, 1024),
    );
    if let Some(task) = job_ref.task {
        attrs.insert(attr::TASK.to_owned(), truncate_chars(&task, 256));
    }
    let first = record.attributes.get(attr::FIRST_FAILURE_AT).cloned();
    attrs.insert(
        attr::FIRST_FAILURE_AT.to_owned(),
        first.unwrap_or_else(|| now_millis.to_string()),
    );
    for (name, value) in &record.attributes {
        if attrs.len() == MAX_MESSAGE_ATTRIBUTES {
            break;
        }
        attrs.entry(name.clone()).or_insert_with(|| value.clone());
    }
    attrs
}

fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Everything a job handler talks to.
#[derive(Clone)]
pub struct Ports {
    pub api: Arc<dyn ConnectionApi>,
    pub connections: Arc<dyn ConnectionStore>,
    pub results: Arc<dyn ResultStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub dead_letters: Arc<dyn DeadLetterQueue>,
}
