//! The queue worker Lambda: runs each SQS batch through the FIFO-aware processor and reports
//! the messages to retry as `batchItemFailures` (the event source must enable
//! `ReportBatchItemFailures`).

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{service_fn, LambdaEvent};
use wsflow_aws::sdk::Retries;
use wsflow_aws::WorkerConfig;
use wsflow_core::{BatchProcessor, Record, RetryPolicy};

// glibc's allocator showed in perf as a tenth of the worker's CPU; `make bench` measured a
// notify job at 54 µs CPU with it and 42-47 µs with mimalloc (groups concurrent, A/B, 3 runs each).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// An execution environment runs one invocation at a time: one thread spares the cross-thread
// wake-ups of a multi-threaded runtime (about a quarter of the CPU per job in `make bench`).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    wsflow_aws::logging::init_json();
    let config = WorkerConfig::from_env().unwrap_or_else(|e| {
        tracing::error!(variable = e.var, "{e}");
        eprintln!("queue-worker: {e}");
        std::process::exit(2);
    });
    let sdk = wsflow_aws::sdk::load(Retries::Caller).await;
    let processor = wsflow_aws::processor(&sdk, &config, RetryPolicy::default());
    let processor = &processor;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let deadline = event.context.deadline;
        Ok::<_, lambda_runtime::Error>(handle(processor, event.payload, deadline).await)
    }))
    .await
}

/// `deadline` is the invocation's, in epoch milliseconds (the Runtime API's
/// `Lambda-Runtime-Deadline-Ms`): jobs not started before it are reported as failures.
async fn handle(processor: &BatchProcessor, event: SqsEvent, deadline: u64) -> SqsBatchResponse {
    let records: Vec<Record> = event.records.into_iter().map(record_from_event).collect();
    let failed = processor.process(&records, Some(deadline)).await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|item_identifier| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = item_identifier;
            failure
        })
        .collect();
    response
}

fn record_from_event(message: SqsMessage) -> Record {
    let attributes = message
        .message_attributes
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.string_value?)));
    let system = message.attributes;
    Record::from_sqs(
        message.message_id.unwrap_or_default(),
        message.body.unwrap_or_default(),
        |name| system.get(name).cloned(),
        attributes,
    )
}
