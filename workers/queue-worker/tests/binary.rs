//! The real `queue-worker` binary behind a local Lambda Runtime API, fed SQS events built from
//! messages received from a moto FIFO queue, posting results to an `@connections` stub.

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use serde_json::{json, Value};
use wsflow_core::{Job, Source, Task};
use wsflow_lambda::sqs_event::{lambda_event, EventSource};
use wsflow_testkit::{ConnectionsStub, Moto, WorkerResources};

const BINARY: &str = env!("CARGO_BIN_EXE_queue-worker");

/// The event Lambda's SQS event source builds from received messages.
fn sqs_event(messages: &[Message]) -> Value {
    let source = EventSource {
        queue_arn: "arn:aws:sqs:us-east-1:123456789012:bin-jobs.fifo".into(),
        region: "us-east-1".into(),
    };
    lambda_event(messages, &source)
}

#[tokio::test]
async fn the_binary_reports_exactly_the_failed_group_tail() {
    let moto = Moto::start().await.unwrap();
    let sdk = moto.sdk_config().await;
    let stub = ConnectionsStub::start().await.unwrap();
    let resources = WorkerResources::create(&sdk, "bin", 3, 30).await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let jobs = [("connA", "a1"), ("connB", "b1"), ("connA", "a2"), ("connB", "b2")];
    for (conn, request) in jobs {
        let body = Job::new(conn, request, Task::Notify, json!(request), Source::Cli).to_body();
        let send = sqs
            .send_message()
            .queue_url(&resources.queue_url)
            .message_body(body);
        send.message_group_id(conn)
            .message_deduplication_id(request)
            .send()
            .await
            .unwrap();
    }
    stub.mark_failing("connB");
    let received = sqs
        .receive_message()
        .queue_url(&resources.queue_url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(received.len(), 4);
    let id_of = |request: &str| {
        let m = received
            .iter()
            .find(|m| m.body().unwrap().contains(&format!("\"{request}\"")))
            .unwrap();
        m.message_id().unwrap().to_owned()
    };

    let env = resources
        .worker_env(stub.url())
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let function = wsflow_testkit::processes::function(&moto, "queue-worker", BINARY, env).await;

    let response = function.invoke(&sqs_event(&received)).await.unwrap();

    let failures: Vec<&str> = response["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(failures, [id_of("b1"), id_of("b2")]);
    let results: Vec<Value> = stub
        .posts_to("connA")
        .iter()
        .map(|p| p["requestId"].clone())
        .collect();
    assert_eq!(results, [json!("a1"), json!("a2")]);
}

#[test]
fn missing_configuration_stops_the_binary_naming_the_variable() {
    let output = std::process::Command::new(BINARY)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CONNECTIONS_TABLE is not set"), "{stderr}");
}
