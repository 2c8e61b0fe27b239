//! AWS implementations of wsflow's ports (official AWS SDK for Rust), the worker's
//! configuration, logging, and the SQS poll loop.

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
            config.idempotency_lock,
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
        },
    );
    BatchProcessor::new(handler, config.group_concurrency)
}
