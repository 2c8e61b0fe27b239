//! One job, start to finish: validate, claim, run, reply, record — or dead-letter.

use std::time::Duration;

use tracing::{field, info, warn, Instrument};

use crate::envelope::{now_millis, Job, JobKey, JobRef};
use crate::failure::{Failure, Reason};
use crate::ports::{Claim, ClaimToken, FanoutProgress, PortError, Ports, PostError};
use crate::record::Record;
use crate::result::ResultMessage;
use crate::retry::RetryPolicy;
use crate::tasks::{ClaimedJob, TaskError, TaskRunner};

/// What should happen to the message once the handler is done with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Done (or dead-lettered by the handler): delete it from the queue.
    Ack,
    /// Leave it on the queue: SQS redelivers it and dead-letters it after `maxReceiveCount`.
    Retry,
}

/// API Gateway's limit on one WebSocket message, which a post to `@connections` must respect:
/// 128 KB ("WebSocket message payload size", API Gateway quotas for WebSocket APIs), read as
/// 131,072 bytes like the local gateway; a larger post is refused with 413, which the handler
/// treats as permanent anyway.
pub const MAX_POST_BYTES: usize = 128 * 1024;

/// How a [`JobHandler`] retries, fans out and locks. The default: [`RetryPolicy::default`], 16
/// concurrent posts per broadcast, a 30 s lock, and no job started in the last 5 s of an
/// invocation.
#[derive(Debug, Clone, Copy)]
pub struct HandlerConfig {
    /// How each port call (claim, task calls, posts, dead-lettering, completion) is retried on
    /// transient errors.
    pub retry: RetryPolicy,
    /// Concurrent posts of one broadcast; each round of this many is recorded (see
    /// [`FanoutProgress`]) before the next begins, so it also bounds what a crash repeats.
    pub fanout: usize,
    /// How long a claim blocks other deliveries of the same job; with a deadline, the claim
    /// lasts at least until the deadline, so a job still running then is never run twice.
    pub lock: Duration,
    /// No job starts when less than this is left before the deadline: it is handed back
    /// instead of being killed half done with the rest of the batch.
    pub deadline_reserve: Duration,
}

impl Default for HandlerConfig {
    fn default() -> Self {
        HandlerConfig {
            retry: RetryPolicy::default(),
            fanout: 16,
            lock: Duration::from_secs(30),
            deadline_reserve: Duration::from_secs(5),
        }
    }
}

/// Processes one message against the [`Ports`]: parses the envelope, claims the job's
/// idempotency key, runs the task, posts the result to the connection and records the job as
/// done; a message that can never succeed is dead-lettered and its client told why.
#[derive(Clone)]
pub struct JobHandler {
    ports: Ports,
    config: HandlerConfig,
}

impl JobHandler {
    /// A handler that talks to `ports`.
    pub fn new(ports: Ports, config: HandlerConfig) -> Self {
        JobHandler { ports, config }
    }

    /// Processes `record` in a `job` tracing span (message, connection and request ids, task)
    /// and says what to do with the message. It never fails: every problem ends in a
    /// [`Disposition`]. `deadline` (epoch milliseconds) is when the invocation is cut off, if
    /// it is.
    pub async fn handle(&self, record: &Record, deadline: Option<u64>) -> Disposition {
        let span = tracing::info_span!(
            "job",
            message_id = %record.message_id,
            connection_id = field::Empty,
            request_id = field::Empty,
            task = field::Empty,
        );
        async {
            match Job::parse(&record.body) {
                Ok(job) => {
                    let span = tracing::Span::current();
                    span.record("connection_id", job.connection_id.as_str());
                    span.record("request_id", job.request_id.as_str());
                    span.record("task", job.task.as_str());
                    self.run(record, &job, deadline).await
                }
                Err(failure) => {
                    let job_ref = JobRef::sniff(&record.body, record.group_id.as_deref());
                    self.reject(record, &job_ref, failure).await
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Whether a job may still start: not when less than the reserve is left before `deadline`.
    pub fn may_start(&self, deadline: Option<u64>) -> bool {
        let reserve = self.config.deadline_reserve.as_millis() as u64;
        deadline.is_none_or(|d| now_millis() + reserve < d)
    }

    async fn run(&self, record: &Record, job: &Job, deadline: Option<u64>) -> Disposition {
        let key = job.key();
        let lock_until = (now_millis() + self.config.lock.as_millis() as u64).max(deadline.unwrap_or(0));
        let idempotency = &self.ports.idempotency;
        let token = ClaimToken::new();
        match self
            .config
            .retry
            .run(|| idempotency.claim(&key, &token, lock_until))
            .await
        {
            Ok(Claim::Acquired { token, progress }) => self.execute(record, job, &key, token, progress).await,
            Ok(Claim::AlreadyDone {
                pending_reply: Some(reply),
            }) => {
                info!("job already done but its result was not delivered; delivering only the result");
                self.deliver(record, job, &key, reply).await
            }
            Ok(Claim::AlreadyDone { pending_reply: None }) => {
                info!("redelivered job already done; acknowledging without side effects");
                Disposition::Ack
            }
            Ok(Claim::InProgress) => {
                info!("job is being processed by another delivery; retrying later");
                Disposition::Retry
            }
            Ok(Claim::Conflict) => {
                let failure = Failure::new(
                    Reason::IdempotencyConflict,
                    format!(
                        "a different job with the same source, task and requestId ({}) was already taken; send new work with a new requestId",
                        key.key
                    ),
                );
                self.reject(record, &JobRef::from(job), failure).await
            }
            Err(e) => {
                warn!(error = %e, "could not claim the job");
                Disposition::Retry
            }
        }
    }

    /// Runs a claimed job, records its effect as done (with its result), then delivers the
    /// result. Once the effect is recorded, nothing makes a redelivery repeat it.
    async fn execute(
        &self,
        record: &Record,
        job: &Job,
        key: &JobKey,
        token: ClaimToken,
        progress: FanoutProgress,
    ) -> Disposition {
        let runner = TaskRunner {
            ports: &self.ports,
            retry: &self.config.retry,
            fanout: self.config.fanout,
        };
        let claim = ClaimedJob {
            key,
            token: &token,
            progress,
        };
        let reply = match runner.run(job, &claim).await {
            Ok(reply) => reply,
            Err(TaskError::Transient(e)) => {
                warn!(error = %e, "task failed transiently");
                self.release(key, &token).await;
                return Disposition::Retry;
            }
            Err(TaskError::Permanent(failure)) => {
                self.release(key, &token).await;
                return self.reject(record, &JobRef::from(job), failure).await;
            }
        };
        let payload = reply
            .into_message(Some(&job.request_id), Some(job.task.as_str()))
            .to_bytes();
        let too_large = payload.len() > MAX_POST_BYTES;
        let pending = (!too_large).then_some(payload.as_slice());
        let idempotency = &self.ports.idempotency;
        if let Err(e) = self.config.retry.run(|| idempotency.complete(key, pending)).await {
            // The effect happened but is not recorded: once the lock expires a redelivery may
            // repeat it (the at-least-once fallback); dropping the message would lose the reply.
            warn!(error = %e, "could not record the job as done");
            return Disposition::Retry;
        }
        if too_large {
            let failure = Failure::new(
                Reason::ReplyTooLarge,
                format!(
                    "the job ran but its result is {} bytes; a WebSocket message holds at most {MAX_POST_BYTES}",
                    payload.len()
                ),
            );
            return self.reject(record, &JobRef::from(job), failure).await;
        }
        self.deliver(record, job, key, payload).await
    }

    /// Posts a done job's result; a transient failure leaves it pending for the redelivery, a
    /// permanent one dead-letters the message with its reason.
    async fn deliver(&self, record: &Record, job: &Job, key: &JobKey, payload: Vec<u8>) -> Disposition {
        match self.post(&job.connection_id, &payload).await {
            Ok(()) => {
                self.reply_delivered(key).await;
                Disposition::Ack
            }
            Err(PortError::Transient(e)) => {
                warn!(error = %e, "could not deliver the result; it is retried on redelivery");
                Disposition::Retry
            }
            Err(PortError::Permanent(e)) => {
                self.reply_delivered(key).await;
                let failure = Failure::new(
                    Reason::ReplyRefused,
                    format!(
                        "the job ran but @connections refused its result: {}",
                        first_line(&e)
                    ),
                );
                self.reject(record, &JobRef::from(job), failure).await
            }
        }
    }

    /// Posts to a connection; a gone connection is not an error: its record is deleted.
    async fn post(&self, connection_id: &str, payload: &[u8]) -> Result<(), PortError> {
        match self
            .config
            .retry
            .run(|| self.ports.api.post(connection_id, payload))
            .await
        {
            Ok(()) => Ok(()),
            Err(PostError::Gone) => {
                info!(connection_id, "connection is gone; deleting its record");
                self.config
                    .retry
                    .run(|| self.ports.connections.forget(connection_id))
                    .await
            }
            Err(PostError::Failed(e)) => Err(e),
        }
    }

    /// A permanent failure: dead-letter the message with its reason, then tell the client. The
    /// message is acknowledged only once the dead-letter copy is confirmed.
    async fn reject(&self, record: &Record, job_ref: &JobRef, failure: Failure) -> Disposition {
        warn!(reason = %failure.reason, error = %failure.message, "job failed permanently");
        let dead_letters = &self.ports.dead_letters;
        if let Err(e) = self
            .config
            .retry
            .run(|| dead_letters.forward(record, &failure))
            .await
        {
            warn!(error = %e, "could not dead-letter the job; leaving it on the queue");
            return Disposition::Retry;
        }
        if let Some(connection_id) = &job_ref.connection_id {
            let message =
                ResultMessage::error(job_ref.request_id.as_deref(), job_ref.task.as_deref(), failure);
            if let Err(e) = self.post(connection_id, &message.to_bytes()).await {
                warn!(error = %e, "could not tell the client about the failure");
            }
        }
        Disposition::Ack
    }

    async fn reply_delivered(&self, key: &JobKey) {
        let idempotency = &self.ports.idempotency;
        if let Err(e) = self.config.retry.run(|| idempotency.reply_delivered(key)).await {
            // Only a redelivery of this message (its delete failed) would post the result again.
            warn!(error = %e, "could not record the result as delivered");
        }
    }

    async fn release(&self, key: &JobKey, token: &ClaimToken) {
        if let Err(e) = self.ports.idempotency.release(key, token).await {
            warn!(error = %e, "could not release the idempotency claim; it expires by itself");
        }
    }
}

/// The first line of an error, for a client-facing message (the rest goes to the log).
fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
}
