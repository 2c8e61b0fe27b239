//! wsflow's AWS side: the ports of `wsflow-core` on the official AWS SDK for Rust, the worker's
//! configuration and logging, and the SQS poll loop.
//!
//! Each port is one AWS service. [`connections_client::ConnectionsClient`] posts to clients
//! through the API Gateway Management API (`@connections`); [`dynamo`] holds connection records
//! (written by `$connect`) and subscriptions, `store` results and idempotency records in three
//! DynamoDB tables; [`dead_letter::SqsDeadLetters`] forwards permanently failed jobs to the SQS
//! dead-letter queue. [`errors::classify`] sorts every SDK error into transient (the handler
//! retries it) and permanent. [`ports()`] wires them into a [`Ports`] from a [`WorkerConfig`],
//! and [`processor()`] builds the [`BatchProcessor`] that both the Lambda queue worker and the
//! poll mode run.
//!
//! [`WorkerConfig`] comes from environment variables (table names, queue and callback URLs,
//! concurrency, idempotency timings); a [`ConfigError`] names the variable at fault. [`sdk`]
//! loads the SDK configuration with timeouts and decides who retries: the worker's clients retry
//! nothing, so that the handler's [`RetryPolicy`] is the only retry budget, while the CLI keeps
//! the SDK's standard retries. [`logging::init_json`] writes JSON lines whose spans carry the
//! message, connection and request ids.
//!
//! Under Lambda, the queue worker hands each SQS event to the processor and returns the failed
//! message ids as `batchItemFailures`. Outside Lambda, [`poller::run`] does the same over
//! `ReceiveMessage`: it long-polls, processes each batch while extending its visibility, deletes
//! the messages whose job succeeded and leaves the others to reappear, so the queue's redrive
//! policy applies just as it does under Lambda.

#![warn(missing_docs)]

pub mod config;
pub mod connections_client;
pub mod dead_letter;
pub mod dynamo;
pub mod errors;
pub mod logging;
pub mod poller;
pub mod sdk;

use std::sync::Arc;

use wsflow_core::{BatchProcessor, HandlerConfig, JobHandler, Ports, RetryPolicy};

pub use config::{ConfigError, WorkerConfig};

/// Ports backed by DynamoDB, SQS and the API Gateway Management API.
pub fn ports(sdk: &aws_config::SdkConfig, config: &WorkerConfig) -> Ports {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    Ports {
        api: Arc::new(connections_client::ConnectionsClient::new(
            sdk,
            &config.callback_url,
        )),
        connections: Arc::new(dynamo::DynamoConnections::new(
            dynamo.clone(),
            &config.connections_table,
        )),
        results: Arc::new(dynamo::DynamoResults::new(dynamo.clone(), &config.results_table)),
        idempotency: Arc::new(dynamo::DynamoIdempotency::new(
            dynamo,
            &config.idempotency_table,
            config.idempotency_ttl,
        )),
        dead_letters: Arc::new(dead_letter::SqsDeadLetters::new(
            aws_sdk_sqs::Client::new(sdk),
            &config.dlq_url,
        )),
    }
}

/// The batch processor both the Lambda worker and the poll mode run.
pub fn processor(sdk: &aws_config::SdkConfig, config: &WorkerConfig, retry: RetryPolicy) -> BatchProcessor {
    let handler = JobHandler::new(
        ports(sdk, config),
        HandlerConfig {
            retry,
            fanout: config.broadcast_fanout,
            lock: config.idempotency_lock,
            ..HandlerConfig::default()
        },
    );
    BatchProcessor::new(handler, config.group_concurrency)
}
