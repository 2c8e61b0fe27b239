//! wsflow's worker core: what a worker does with a queued job, with no AWS in it. The Lambda
//! queue worker and the `wsflow worker` poll mode both run it.
//!
//! A job travels as a versioned JSON envelope, the body of an SQS FIFO message whose group is the
//! client's connection id. [`Job`] is that envelope once [`Job::parse`] has validated it (the
//! rules `schema/job-envelope.schema.json` publishes, the first broken one named by a [`Reason`]),
//! and [`Task`] is what it asks for: `notify`, `store`, `subscribe`, `unsubscribe`, `broadcast`
//! or `workflow-result`. A body that fails validation still yields a [`JobRef`], so the client
//! can be told why.
//!
//! The worker reaches the outside world only through the traits of [`ports`]: the `@connections`
//! API ([`ConnectionApi`](ports::ConnectionApi)), connection records and topic subscriptions
//! ([`ConnectionStore`](ports::ConnectionStore)), the results of `store` jobs
//! ([`ResultStore`](ports::ResultStore)), idempotency records
//! ([`IdempotencyStore`](ports::IdempotencyStore)) and the dead-letter queue
//! ([`DeadLetterQueue`](ports::DeadLetterQueue)). [`Ports`] holds one of each. `wsflow-aws`
//! implements them on the AWS SDK; [`memory::MemoryBackend`] implements them all in memory, for
//! tests and benchmarks.
//!
//! A [`Record`] is one queue message, read from a Lambda SQS event or from `ReceiveMessage`. The
//! [`JobHandler`] takes one record through parsing, the idempotency claim, the task, the result
//! post and the completion, retrying transient port errors under a [`RetryPolicy`], and answers
//! a [`Disposition`]: delete the message, or leave it for redelivery. A job that can never
//! succeed ends in a [`Failure`]: the message is forwarded to the dead-letter queue and the
//! client gets an error result. The [`BatchProcessor`] runs a whole batch: message groups
//! concurrently, the messages of a group in order, each group stopping at its first failure so
//! that no message overtakes an earlier one; it returns the ids to report as `batchItemFailures`.
//!
//! ```
//! use std::sync::Arc;
//!
//! use serde_json::json;
//! use wsflow_core::memory::MemoryBackend;
//! use wsflow_core::{BatchProcessor, HandlerConfig, Job, JobHandler, Record, Source, Task};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let backend = Arc::new(MemoryBackend::default());
//! let processor = BatchProcessor::new(JobHandler::new(backend.ports(), HandlerConfig::default()), 10);
//!
//! let job = Job::new("L0SM9cOFvHcCIhw=", "r-1", Task::Notify, json!("hello"), Source::Cli);
//! let record = Record {
//!     message_id: "m-1".into(),
//!     group_id: Some(job.connection_id.clone()),
//!     body: job.to_body(),
//!     ..Default::default()
//! };
//! assert!(processor.process(&[record], None).await.is_empty()); // no batchItemFailures
//! let posts = backend.posts_by_connection();
//! assert_eq!(posts["L0SM9cOFvHcCIhw="][0]["data"], json!({ "received": "hello" }));
//! # }
//! ```

#![warn(missing_docs)]

pub mod envelope;
pub mod failure;
pub mod handler;
pub mod memory;
pub mod ports;
pub mod processor;
pub mod record;
pub mod result;
pub mod retry;
mod tasks;

pub use envelope::{Job, JobRef, Source, Task};
pub use failure::{Failure, Reason};
pub use handler::{Disposition, HandlerConfig, JobHandler};
pub use ports::Ports;
pub use processor::BatchProcessor;
pub use record::Record;
pub use retry::RetryPolicy;
