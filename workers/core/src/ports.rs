//! The outside world as the worker sees it. Production implementations live in `wsflow-aws`;
//! `memory` has in-process ones for tests and benchmarks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;

use crate::envelope::{Job, JobKey};
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This delivery owns the job: run it, then `complete` it or `release` the claim. An
    /// earlier delivery that died (or released the claim) mid-broadcast left `progress`: post
    /// only to the subscribers it did not reach.
    Acquired {
        /// Proof of this delivery's claim.
        token: ClaimToken,
        /// How far earlier deliveries got with the job's fan-out; empty for a first run.
        progress: FanoutProgress,
    },
    /// An earlier delivery did the job's effect. `pending_reply` is its result message when that
    /// has not been delivered yet: post it (and only it), then call `reply_delivered`.
    AlreadyDone {
        /// The undelivered result payload, if any.
        pending_reply: Option<Vec<u8>>,
    },
    /// Another delivery is running it right now (its lock has not expired).
    InProgress,
    /// The key was taken by a job with a different payload: this is not a repeat of that job.
    Conflict,
}

/// Proof of one delivery's claim: releasing takes it, so a delivery whose lock expired cannot
/// remove the claim a later delivery took meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimToken(pub String);

impl ClaimToken {
    /// A fresh random token.
    pub fn new() -> ClaimToken {
        ClaimToken(format!("{:032x}", rand::random::<u128>()))
    }
}

impl Default for ClaimToken {
    fn default() -> Self {
        ClaimToken::new()
    }
}

/// How far a broadcast's fan-out got, kept with the job's claim so that a delivery taking the job
/// over posts only to the subscribers not reached yet. A subscriber counts as reached once its
/// post ended (delivered, found gone, or failed for good); only posts in flight when a delivery
/// died are made again.
///
/// Sets rather than counters, so that recording a step twice (a retried call whose first
/// answer was lost) changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FanoutProgress {
    /// Connection ids the message was delivered to.
    pub delivered: BTreeSet<String>,
    /// Connection ids found gone (and forgotten).
    pub pruned: BTreeSet<String>,
    /// Connection ids whose post failed for good.
    pub failed: BTreeSet<String>,
}

impl FanoutProgress {
    /// Adds `step` (posts that ended since) to this progress.
    pub fn add(&mut self, step: &FanoutProgress) {
        self.delivered.extend(step.delivered.iter().cloned());
        self.pruned.extend(step.pruned.iter().cloned());
        self.failed.extend(step.failed.iter().cloned());
    }

    /// Whether the post to `connection_id` has ended, one way or another.
    pub fn reached(&self, connection_id: &str) -> bool {
        [&self.delivered, &self.pruned, &self.failed]
            .iter()
            .any(|ids| ids.contains(connection_id))
    }

    /// How many posts have ended.
    pub fn len(&self) -> usize {
        self.delivered.len() + self.pruned.len() + self.failed.len()
    }

    /// Whether no post has ended yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Records jobs by their [`JobKey`] so that SQS' at-least-once delivery, redrives and replays do
/// not repeat side effects. A job's record goes: claimed (locked until a time), then completed
/// with its result still to deliver, then completed and delivered.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims the job for this delivery with `token` until `lock_until_ms` (epoch milliseconds),
    /// unless it is done, held by another delivery whose lock has not expired, or its key is
    /// taken by a different payload. A claim already held with `token` (a retried call whose
    /// first answer was lost) is acquired again.
    async fn claim(&self, job: &JobKey, token: &ClaimToken, lock_until_ms: u64) -> Result<Claim, PortError>;
    /// Records the job's effect as done, keeping `pending_reply` (its result message) until
    /// [`reply_delivered`](Self::reply_delivered): later deliveries only deliver the reply.
    async fn complete(&self, job: &JobKey, pending_reply: Option<&[u8]>) -> Result<(), PortError>;
    /// Drops the pending reply of a completed job: later deliveries acknowledge without posting.
    async fn reply_delivered(&self, job: &JobKey) -> Result<(), PortError>;
    /// Adds `step` to the fan-out progress of the job claimed with `token` (see
    /// [`Claim::Acquired`]). Fails with a transient error when the claim is no longer `token`'s:
    /// another delivery took the job over, and this one must stop posting.
    async fn record_fanout(
        &self,
        job: &JobKey,
        token: &ClaimToken,
        step: &FanoutProgress,
    ) -> Result<(), PortError>;
    /// Ends this delivery's claim of a job that did not complete, so that a redelivery may run
    /// it at once; its fan-out progress stays. A claim that is no longer `token`'s is left alone.
    async fn release(&self, job: &JobKey, token: &ClaimToken) -> Result<(), PortError>;
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
        attribute_value(&failure.message, 1024),
    );
    if let Some(task) = job_ref.task {
        attrs.insert(attr::TASK.to_owned(), attribute_value(&task, 256));
    }
    let first = record
        .attributes
        .get(attr::FIRST_FAILURE_AT)
        .map(|t| attribute_value(t, 32));
    attrs.insert(
        attr::FIRST_FAILURE_AT.to_owned(),
        first.unwrap_or_else(|| now_millis.to_string()),
    );
    for (name, value) in &record.attributes {
        if attrs.len() == MAX_MESSAGE_ATTRIBUTES {
            break;
        }
        attrs
            .entry(name.clone())
            .or_insert_with(|| attribute_value(value, usize::MAX));
    }
    attrs
}

/// `value` cut to `max` characters, with every character SQS refuses in an attribute value
/// replaced by U+FFFD. SQS allows `#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD |
/// #x10000-#x10FFFF` (SendMessage, MessageAttributeValue): a job whose task holds a control
/// character must still reach the DLQ with its reason.
pub fn attribute_value(value: &str, max: usize) -> String {
    value
        .chars()
        .take(max)
        .map(|c| if sqs_allows(c) { c } else { '\u{FFFD}' })
        .collect()
}

fn sqs_allows(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::Reason;

    #[test]
    fn attribute_values_keep_what_sqs_allows_and_replace_the_rest() {
        assert_eq!(attribute_value("a\tb\nc\rd é 😀", 100), "a\tb\nc\rd é 😀");
        assert_eq!(
            attribute_value("x\u{0}y\u{1b}z\u{FFFF}", 100),
            "x\u{FFFD}y\u{FFFD}z\u{FFFD}"
        );
        assert_eq!(attribute_value("abcdef", 3), "abc");
    }

    #[test]
    fn a_task_with_control_characters_yields_valid_attributes() {
        let record = Record {
            body: r#"{"task":"no\u0000tify\u0007"}"#.into(),
            attributes: [("Extra".to_owned(), "ok".to_owned())].into(),
            ..Default::default()
        };
        let failure = Failure::new(Reason::UnknownTask, "unknown task `no\u{0}tify\u{7}`");
        let attrs = dead_letter_attributes(&record, &failure, 1);
        assert_eq!(attrs[attr::TASK], "no\u{FFFD}tify\u{FFFD}");
        assert!(attrs.values().all(|v| v.chars().all(sqs_allows)), "{attrs:?}");
    }
}
