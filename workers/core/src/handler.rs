//! One job, start to finish: validate, claim, run, reply, record — or dead-letter.

use tracing::{field, info, warn, Instrument};

use crate::envelope::{Job, JobRef};
use crate::failure::Failure;
use crate::ports::{Claim, PortError, Ports, PostError};
use crate::record::Record;
use crate::result::ResultMessage;
use crate::retry::RetryPolicy;
use crate::tasks::{Reply, TaskError, TaskRunner};

/// What should happen to the message once the handler is done with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Done (or dead-lettered by the handler): delete it from the queue.
    Ack,
    /// Leave it on the queue: SQS redelivers it and dead-letters it after `maxReceiveCount`.
    Retry,
}

/// How a [`JobHandler`] retries and fans out. The default: [`RetryPolicy::default`], and 16
/// concurrent posts per broadcast.
#[derive(Debug, Clone, Copy)]
pub struct HandlerConfig {
    /// How each port call (claim, task calls, posts, dead-lettering, completion) is retried on
    /// transient errors.
    pub retry: RetryPolicy,
    /// Concurrent posts of one broadcast.
    pub fanout: usize,
}

impl Default for HandlerConfig {
    fn default() -> Self {
        HandlerConfig {
            retry: RetryPolicy::default(),
            fanout: 16,
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
    /// [`Disposition`].
    pub async fn handle(&self, record: &Record) -> Disposition {
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
                    self.run(record, &job).await
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

    async fn run(&self, record: &Record, job: &Job) -> Disposition {
        let key = record.idempotency_key();
        let idempotency = &self.ports.idempotency;
        match self.config.retry.run(|| idempotency.claim(key)).await {
            Ok(Claim::Acquired) => {}
            Ok(Claim::AlreadyDone) => {
                info!("redelivered job already done; acknowledging without side effects");
                return Disposition::Ack;
            }
            Ok(Claim::InProgress) => {
                info!("job is being processed by another delivery; retrying later");
                return Disposition::Retry;
            }
            Err(e) => {
                warn!(error = %e, "could not claim the job");
                return Disposition::Retry;
            }
        }
        let runner = TaskRunner {
            ports: &self.ports,
            retry: &self.config.retry,
            fanout: self.config.fanout,
        };
        let disposition = match runner.run(job).await {
            Ok(reply) => self.reply(job, reply).await,
            Err(TaskError::Transient(e)) => {
                warn!(error = %e, "task failed transiently");
                Disposition::Retry
            }
            Err(TaskError::Permanent(failure)) => {
                self.release(key).await;
                return self.reject(record, &JobRef::from(job), failure).await;
            }
        };
        match disposition {
            Disposition::Ack => self.complete(key).await,
            Disposition::Retry => {
                self.release(key).await;
                Disposition::Retry
            }
        }
    }

    async fn reply(&self, job: &Job, reply: Reply) -> Disposition {
        let message = reply.into_message(Some(&job.request_id), Some(job.task.as_str()));
        match self.post(&job.connection_id, &message).await {
            Ok(()) => Disposition::Ack,
            Err(e) => {
                warn!(error = %e, "could not deliver the result");
                Disposition::Retry
            }
        }
    }

    /// Posts to a connection; a gone connection is not an error: its record is deleted.
    async fn post(&self, connection_id: &str, message: &ResultMessage<'_>) -> Result<(), PortError> {
        let payload = message.to_bytes();
        match self
            .config
            .retry
            .run(|| self.ports.api.post(connection_id, &payload))
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
            if let Err(e) = self.post(connection_id, &message).await {
                warn!(error = %e, "could not tell the client about the failure");
            }
        }
        Disposition::Ack
    }

    async fn complete(&self, key: &str) -> Disposition {
        match self
            .config
            .retry
            .run(|| self.ports.idempotency.complete(key))
            .await
        {
            Ok(()) => Disposition::Ack,
            Err(e) => {
                // The effect happened but is not recorded: a redelivery may repeat it, which is
                // the at-least-once contract; losing the message would be worse.
                warn!(error = %e, "could not record the job as done");
                Disposition::Retry
            }
        }
    }

    async fn release(&self, key: &str) {
        if let Err(e) = self.ports.idempotency.release(key).await {
            warn!(error = %e, "could not release the idempotency claim; it expires by itself");
        }
    }
}
