//! The worker's AWS ports and poll loop against a real moto server (SQS FIFO queue with a
//! redrive policy, DynamoDB tables) and an HTTP `@connections` stub. The worker reaches moto
//! through a fault proxy, so a test can make any backend call slow, fail or lose its answer;
//! the test's own clients talk to moto directly.

#![allow(dead_code)] // each test file uses part of the harness

use std::time::Duration;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use serde_json::Value;
use tokio::sync::watch;
use wsflow_aws::poller::{self, PollOptions};
use wsflow_aws::sdk::Retries;
use wsflow_aws::WorkerConfig;
use wsflow_core::{BatchProcessor, Job, Record, RetryPolicy, Source, Task};
use wsflow_testkit::{eventually, ConnectionsStub, FaultProxy, Moto, WorkerResources};

pub const MAX_RECEIVE_COUNT: u32 = 3;
pub const WAIT: Duration = Duration::from_secs(40);

pub struct Harness {
    _moto: Moto,
    pub stub: ConnectionsStub,
    /// Between the worker and moto.
    pub proxy: FaultProxy,
    pub resources: WorkerResources,
    pub sqs: aws_sdk_sqs::Client,
    pub ddb: aws_sdk_dynamodb::Client,
    pub processor: BatchProcessor,
}

impl Harness {
    pub async fn start() -> Harness {
        let moto = Moto::start().await.unwrap();
        let sdk = moto.sdk_config().await;
        let proxy = FaultProxy::start(moto.endpoint()).await.unwrap();
        let worker_sdk = worker_sdk(proxy.url()).await;
        let stub = ConnectionsStub::start().await.unwrap();
        let resources = WorkerResources::create(&sdk, "t", MAX_RECEIVE_COUNT, 1)
            .await
            .unwrap();
        let env = resources.worker_env(stub.url());
        let config = WorkerConfig::from_lookup(|k| env.get(k).cloned()).unwrap();
        let retry = RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        };
        Harness {
            processor: wsflow_aws::processor(&worker_sdk, &config, retry),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            ddb: aws_sdk_dynamodb::Client::new(&sdk),
            stub,
            proxy,
            resources,
            _moto: moto,
        }
    }

    pub async fn send_body(&self, group: &str, dedup: &str, body: &str) {
        self.sqs
            .send_message()
            .queue_url(&self.resources.queue_url)
            .message_group_id(group)
            .message_deduplication_id(dedup)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }

    pub async fn send(&self, connection: &str, request: &str, task: Task, data: Value) {
        let job = Job::new(connection, request, task, data, Source::Cli);
        self.send_body(connection, request, &job.to_body()).await;
    }

    /// Receives the queue's next messages as the worker's records and deletes them at once:
    /// the test hands them to the processor itself, as often as a redelivery would.
    pub async fn take(&self) -> Vec<Record> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.resources.queue_url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap();
        let messages = received.messages.unwrap_or_default();
        for message in &messages {
            self.sqs
                .delete_message()
                .queue_url(&self.resources.queue_url)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await
                .unwrap();
        }
        messages.into_iter().map(poller::record_from_message).collect()
    }

    pub async fn depth(&self, url: &str) -> usize {
        let (visible, in_flight) = wsflow_testkit::fixtures::queue_depth(&self.sqs, url)
            .await
            .unwrap();
        visible + in_flight
    }

    /// Runs the poll loop until `done` holds, then stops it the way SIGTERM does.
    pub async fn poll_until<F, Fut>(&self, what: &str, done: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let options = PollOptions {
            queue_url: self.resources.queue_url.clone(),
            batch_size: 10,
            wait_seconds: 1,
            visibility_timeout: Duration::from_secs(1),
        };
        let (stop, shutdown) = watch::channel(false);
        let sqs = self.sqs.clone();
        let processor = self.processor.clone();
        let worker = tokio::spawn(async move { poller::run(&sqs, &processor, &options, shutdown).await });
        let outcome = eventually(WAIT, what, done).await;
        stop.send(true).unwrap();
        worker.await.unwrap().unwrap();
        outcome.unwrap();
    }

    pub async fn dead_letters(&self) -> Vec<aws_sdk_sqs::types::Message> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.resources.dlq_url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap();
        out.messages.unwrap_or_default()
    }
}

/// The worker's SDK configuration (no SDK retries: the worker's own policy retries) for a
/// backend at `endpoint`.
async fn worker_sdk(endpoint: &str) -> aws_config::SdkConfig {
    let credentials = aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "test");
    wsflow_aws::sdk::loader(Retries::Caller)
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .load()
        .await
}

pub fn attribute(message: &aws_sdk_sqs::types::Message, name: &str) -> Option<String> {
    message
        .message_attributes()?
        .get(name)?
        .string_value()
        .map(str::to_owned)
}
