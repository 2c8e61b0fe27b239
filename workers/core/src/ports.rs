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

/// How a post to a connection failed: a gone client is told apart from other failures, since
/// it calls for deleting the connection's records rather than a retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// The client has disconnected (HTTP 410 from `@connections`).
    #[error("connection is gone")]
    Gone,
    /// Any other failure, transient or permanent as the wrapped error says.
    #[error(transparent)]
    Failed(#[from] PortError),
}

/// `POST @connections/{id}`.
#[async_trait]
pub trait ConnectionApi: Send + Sync {
    /// Sends `payload` to the client of `connection_id` as one WebSocket message.
    async fn post(&self, connection_id: &str, payload: &[u8]) -> Result<(), PostError>;
}

/// Connection records and topic subscriptions.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Deletes the connection record and every subscription of a connection that is gone.
    async fn forget(&self, connection_id: &str) -> Result<(), PortError>;
    /// Subscribes the connection to `topic`; subscribing twice leaves one subscription.
    async fn subscribe(&self, connection_id: &str, topic: &str) -> Result<(), PortError>;
    /// Removes the connection's subscription to `topic`; removing none is not an error.
    async fn unsubscribe(&self, connection_id: &str, topic: &str) -> Result<(), PortError>;
    /// The ids of the connections subscribed to `topic`, in no guaranteed order.
    async fn subscribers(&self, topic: &str) -> Result<Vec<String>, PortError>;
}

/// Durable results of `store` jobs.
#[async_trait]
pub trait ResultStore: Send + Sync {
    /// Writes the job's data under its request id; writing the same job twice leaves one item.
    async fn put(&self, job: &Job) -> Result<(), PortError>;
}

/// The outcome of [`IdempotencyStore::claim`] for one delivery of a job.
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
    /// Claims the job `key` (a [`Record::idempotency_key`]) for this delivery, unless it is
    /// done or held by another delivery whose lock has not expired.
    async fn claim(&self, key: &str) -> Result<Claim, PortError>;
    /// Marks the claimed job done: later deliveries get [`Claim::AlreadyDone`].
    async fn complete(&self, key: &str) -> Result<(), PortError>;
    /// Drops the claim of a job that did not complete, so that a redelivery may run it.
    async fn release(&self, key: &str) -> Result<(), PortError>;
}

/// Where permanently failed messages go, with the reason attached.
#[async_trait]
pub trait DeadLetterQueue: Send + Sync {
    /// Sends a copy of `record` (its body, with the [`dead_letter_attributes`]) to the
    /// dead-letter queue. The original is acknowledged only once this returns `Ok`.
    async fn forward(&self, record: &Record, failure: &Failure) -> Result<(), PortError>;
}

/// The message attributes a dead-lettered message carries (see `dead_letter_attributes`).
pub mod attr {
    /// The failure's [`Reason`](crate::failure::Reason) code, such as `invalid_data`.
    pub const ERROR_REASON: &str = "ErrorReason";
    /// The failure's message, cut to 1024 characters.
    pub const ERROR_MESSAGE: &str = "ErrorMessage";
    /// The body's `task` string, when it has one (known or not), cut to 256 characters.
    pub const TASK: &str = "Task";
    /// When the message first failed, in milliseconds since the Unix epoch; a replayed message
    /// keeps the time of its first failure.
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
    /// Posts results and broadcasts to clients.
    pub api: Arc<dyn ConnectionApi>,
    /// Connection records and topic subscriptions.
    pub connections: Arc<dyn ConnectionStore>,
    /// Where `store` jobs write.
    pub results: Arc<dyn ResultStore>,
    /// Claims and completions that make redeliveries harmless.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Where permanently failed messages are forwarded.
    pub dead_letters: Arc<dyn DeadLetterQueue>,
}
