//! The worker's AWS ports and poll loop against a real moto server: SQS FIFO queue with a
//! redrive policy, DynamoDB tables, and an HTTP `@connections` stub.

mod common;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use common::{attribute, Harness, MAX_RECEIVE_COUNT};
use serde_json::json;
use wsflow_aws::poller;
use wsflow_core::{Job, Source, Task};

#[tokio::test]
async fn a_job_failing_transiently_is_dead_lettered_by_the_redrive_policy() {
    let h = Harness::start().await;
    h.stub.mark_failing("connF");
    h.send("connF", "r-flaky", Task::Notify, json!("hi")).await;

    h.poll_until("the redrive policy to move the job", || async {
        h.depth(&h.resources.dlq_url).await == 1
    })
    .await;

    assert_eq!(h.depth(&h.resources.queue_url).await, 0);
    let dead = h.dead_letters().await;
    assert_eq!(dead.len(), 1);
    let receives =
        dead[0].attributes().unwrap()[&MessageSystemAttributeName::ApproximateReceiveCount].clone();
    assert!(
        receives.parse::<u32>().unwrap() >= MAX_RECEIVE_COUNT,
        "received {receives} times"
    );
    assert_eq!(
        attribute(&dead[0], "ErrorReason"),
        None,
        "moved by SQS, not by the worker"
    );
}

#[tokio::test]
async fn a_permanent_failure_is_dead_lettered_at_once_with_its_reason() {
    let h = Harness::start().await;
    let body = Job::new("connP", "r-bad", Task::Notify, json!(1), Source::Cli)
        .to_body()
        .replace("\"notify\"", "\"frobnicate\"");
    h.send_body("connP", "r-bad", &body).await;

    h.poll_until("the worker to dead-letter the job", || async {
        h.depth(&h.resources.dlq_url).await == 1
    })
    .await;

    assert_eq!(
        h.depth(&h.resources.queue_url).await,
        0,
        "acknowledged once dead-lettered"
    );
    let dead = h.dead_letters().await;
    assert_eq!(dead[0].body(), Some(body.as_str()));
    assert_eq!(
        attribute(&dead[0], "ErrorReason").as_deref(),
        Some("unknown_task")
    );
    assert_eq!(attribute(&dead[0], "Task").as_deref(), Some("frobnicate"));
    assert!(attribute(&dead[0], "ErrorMessage")
        .unwrap()
        .contains("frobnicate"));
    assert!(attribute(&dead[0], "FirstFailureAt")
        .unwrap()
        .parse::<u64>()
        .is_ok());
    let receives =
        dead[0].attributes().unwrap()[&MessageSystemAttributeName::ApproximateReceiveCount].clone();
    assert_eq!(receives, "1", "no retry before dead-lettering");
    let told = h.stub.posts_to("connP");
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["error"]["reason"], "unknown_task");
    assert_eq!(told[0]["requestId"], "r-bad");
}

#[tokio::test]
async fn a_redelivered_job_does_not_write_twice() {
    let h = Harness::start().await;
    h.send("connS", "r-store", Task::Store, json!({"order": 7})).await;
    let received = h
        .sqs
        .receive_message()
        .queue_url(&h.resources.queue_url)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let record = poller::record_from_message(received.messages.unwrap().remove(0));
    let stored_at = || async {
        let item = h
            .ddb
            .get_item()
            .table_name(&h.resources.results_table)
            .key(
                "requestId",
                aws_sdk_dynamodb::types::AttributeValue::S("r-store".into()),
            )
            .send()
            .await
            .unwrap()
            .item
            .expect("the result is stored");
        assert_eq!(item["data"].as_s().unwrap(), r#"{"order":7}"#);
        item["storedAt"].as_n().unwrap().clone()
    };

    assert!(h
        .processor
        .process(std::slice::from_ref(&record), None)
        .await
        .is_empty());
    let first = stored_at().await;
    // A lost delete: SQS delivers the same message (same dedup id) again.
    assert!(h.processor.process(&[record], None).await.is_empty());

    assert_eq!(stored_at().await, first, "the second delivery did not write");
    let posts = h.stub.posts_to("connS");
    assert_eq!(posts.len(), 1, "one result message per job: {posts:?}");
    assert_eq!(posts[0]["data"]["key"], "r-store");
}

#[tokio::test]
async fn a_broadcast_reaches_live_subscribers_and_prunes_a_gone_one() {
    let h = Harness::start().await;
    for (conn, request) in [("sub1", "s1"), ("sub2", "s2"), ("subGone", "s3")] {
        h.send(conn, request, Task::Subscribe, json!({"topic": "news"}))
            .await;
    }
    h.poll_until("three subscriptions", || async { h.stub.post_count() == 3 })
        .await;
    h.stub.mark_gone("subGone");
    h.send(
        "sender",
        "b1",
        Task::Broadcast,
        json!({"topic": "news", "message": "hello"}),
    )
    .await;

    h.poll_until("the broadcast result", || async {
        !h.stub.posts_to("sender").is_empty()
    })
    .await;

    for sub in ["sub1", "sub2"] {
        let last = h.stub.posts_to(sub).pop().unwrap();
        assert_eq!(
            (last["type"].as_str(), last["message"].as_str()),
            (Some("broadcast"), Some("hello"))
        );
    }
    let result = &h.stub.posts_to("sender")[0];
    assert_eq!(result["data"]["delivered"], 2);
    assert_eq!(result["data"]["pruned"], 1);
    let left = h
        .ddb
        .query()
        .table_name(&h.resources.connections_table)
        .key_condition_expression("connectionId = :c")
        .expression_attribute_values(":c", aws_sdk_dynamodb::types::AttributeValue::S("subGone".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(left.count, 0, "the gone connection's subscription is deleted");
}
