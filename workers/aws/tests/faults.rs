//! Delivery guarantees under injected faults, on moto through the fault proxy: an effect is
//! never repeated by a redelivery, a redrive or a replay, and a job that can never be answered
//! is dead-lettered with its reason instead of being retried until SQS' redrive moves it.
//!
//! SQS delivers at least once and moves a message to the DLQ after `maxReceiveCount` receives
//! (SQS Developer Guide, "Using dead-letter queues"); a FIFO message moved there gets a new
//! message id and SQS' own deduplication id ("the message deduplication ID ... is replaced"),
//! so the worker must recognise a job by its own identity.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use common::{attribute, Harness};
use serde_json::{json, Value};
use wsflow_aws::dynamo::DynamoIdempotency;
use wsflow_core::envelope::now_millis;
use wsflow_core::ports::{Claim, ClaimToken, FanoutProgress, IdempotencyStore};
use wsflow_core::{Job, Record, Source, Task};
use wsflow_testkit::{Fault, FaultKind};

/// Subscribes `subscribers` to `topic` through the worker.
async fn subscribe(h: &Harness, topic: &str, subscribers: &[&str]) {
    for sub in subscribers {
        h.send(
            sub,
            &format!("sub-{sub}"),
            Task::Subscribe,
            json!({ "topic": topic }),
        )
        .await;
    }
    let mut done = 0;
    while done < subscribers.len() {
        let records = h.take().await;
        assert!(
            !records.is_empty(),
            "{done} of {} subscriptions taken",
            subscribers.len()
        );
        assert!(h.processor.process(&records, None).await.is_empty());
        done += records.len();
    }
    assert_eq!(done, subscribers.len());
}

fn broadcasts(h: &Harness, connection: &str) -> Vec<Value> {
    let posts = h.stub.posts_to(connection);
    posts.into_iter().filter(|p| p["type"] == "broadcast").collect()
}

async fn one(h: &Harness) -> Record {
    let mut records = h.take().await;
    assert_eq!(records.len(), 1, "{records:?}");
    records.remove(0)
}

#[tokio::test]
async fn a_broadcast_is_not_repeated_when_only_the_reply_failed() {
    let h = Harness::start().await;
    subscribe(&h, "news", &["sub1", "sub2"]).await;
    h.send(
        "sender",
        "b-1",
        Task::Broadcast,
        json!({"topic": "news", "message": "hi"}),
    )
    .await;
    let record = one(&h).await;
    // Every attempt of the reply fails: the job comes back, its fan-out already done.
    h.stub.fail_next("sender", 3, 503);
    let failed = h.processor.process(std::slice::from_ref(&record), None).await;
    assert_eq!(failed, std::slice::from_ref(&record.message_id));

    assert!(h.processor.process(&[record], None).await.is_empty());

    for sub in ["sub1", "sub2"] {
        assert_eq!(broadcasts(&h, sub).len(), 1, "{sub} got the broadcast once");
    }
    let replies = h.stub.posts_to("sender");
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0]["data"]["delivered"], 2);
}

#[tokio::test]
async fn a_broadcast_is_not_repeated_when_forgetting_its_gone_sender_failed() {
    let h = Harness::start().await;
    subscribe(&h, "news", &["sub1"]).await;
    h.send(
        "sender",
        "b-2",
        Task::Broadcast,
        json!({"topic": "news", "message": "hi"}),
    )
    .await;
    let record = one(&h).await;
    h.stub.mark_gone("sender");
    h.proxy
        .inject(Fault::next(3, FaultKind::Status(500), &["DeleteItem"]));
    assert_eq!(
        h.processor
            .process(std::slice::from_ref(&record), None)
            .await
            .len(),
        1
    );

    assert!(h.processor.process(&[record], None).await.is_empty());

    assert_eq!(broadcasts(&h, "sub1").len(), 1);
    assert_eq!(h.proxy.injected(), 3);
}

/// The idempotency record of the broadcast `request` sent by `sender`.
async fn idempotency_record(
    h: &Harness,
    sender: &str,
    request: &str,
    data: Value,
) -> HashMap<String, AttributeValue> {
    let key = Job::new(sender, request, Task::Broadcast, data, Source::Cli).key();
    h.ddb
        .get_item()
        .table_name(&h.resources.idempotency_table)
        .key("id", AttributeValue::S(key.key))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap_or_default()
}

/// The broadcast's claim lock runs out, as it does some time after its worker died.
async fn expire_lock(h: &Harness, sender: &str, request: &str, data: Value) {
    let key = Job::new(sender, request, Task::Broadcast, data, Source::Cli).key();
    h.ddb
        .update_item()
        .table_name(&h.resources.idempotency_table)
        .key("id", AttributeValue::S(key.key))
        .update_expression("SET lockExpiresAt = :past")
        .expression_attribute_values(":past", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_broadcast_whose_worker_died_midway_is_resumed_not_repeated() {
    let h = Harness::start().await;
    let subscribers: Vec<String> = (0..40).map(|i| format!("sub{i:02}")).collect();
    let names: Vec<&str> = subscribers.iter().map(String::as_str).collect();
    subscribe(&h, "big", &names).await;
    let data = json!({"topic": "big", "message": "hi"});
    h.send("sender", "b-big", Task::Broadcast, data.clone()).await;
    let record = one(&h).await;

    // The first round of posts (16, the default fan-out) is answered and recorded; then the
    // worker dies with the second round in flight: its posts are never answered.
    h.stub.stall_after(16);
    let reached_first_round = async {
        wsflow_testkit::eventually(common::WAIT, "the first round recorded", || async {
            let item = idempotency_record(&h, "sender", "b-big", data.clone()).await;
            item.get("fanoutDelivered")
                .and_then(|r| r.as_ss().ok())
                .map(Vec::len)
                == Some(16)
        })
        .await
        .unwrap();
    };
    tokio::select! {
        _ = h.processor.process(std::slice::from_ref(&record), None) => panic!("the delivery was to be cut off"),
        () = reached_first_round => {}
    }
    h.stub.unstall();
    expire_lock(&h, "sender", "b-big", data).await;

    assert!(h.processor.process(&[record], None).await.is_empty());

    for sub in &subscribers {
        assert_eq!(broadcasts(&h, sub).len(), 1, "{sub} got the broadcast once");
    }
    let replies = h.stub.posts_to("sender");
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0]["data"]["delivered"], 40);
}

#[tokio::test]
async fn a_fanout_round_recorded_twice_after_a_lost_answer_counts_once() {
    let h = Harness::start().await;
    subscribe(&h, "news", &["sub1", "sub2", "sub3"]).await;
    let data = json!({"topic": "news", "message": "hi"});
    h.send("sender", "b-4", Task::Broadcast, data.clone()).await;
    let record = one(&h).await;
    // The posts wait until the claim is stored. Then the record of the round is applied but its
    // answer lost, so the worker records it again, and the completion fails: the next delivery
    // takes the job over with the stored progress and answers from it.
    h.stub.stall_after(0);
    let break_the_records = async {
        wsflow_testkit::eventually(common::WAIT, "the claim stored", || async {
            let item = idempotency_record(&h, "sender", "b-4", data.clone()).await;
            item.get("status").and_then(|s| s.as_s().ok()).map(String::as_str) == Some("IN_PROGRESS")
        })
        .await
        .unwrap();
        h.proxy
            .inject(Fault::next(1, FaultKind::DropResponse, &["UpdateItem"]));
        h.proxy
            .inject(Fault::always(FaultKind::Status(500), &["PutItem"]));
        h.stub.unstall();
    };
    let (failed, ()) = tokio::join!(
        h.processor.process(std::slice::from_ref(&record), None),
        break_the_records
    );
    assert_eq!(failed, std::slice::from_ref(&record.message_id));
    h.proxy.clear();
    expire_lock(&h, "sender", "b-4", data).await;

    assert!(h.processor.process(&[record], None).await.is_empty());
    for sub in ["sub1", "sub2", "sub3"] {
        assert_eq!(broadcasts(&h, sub).len(), 1, "{sub} got the broadcast once");
    }
    assert_eq!(h.stub.posts_to("sender")[0]["data"]["delivered"], 3);
}

#[tokio::test]
async fn a_broadcast_is_not_fanned_out_again_when_recording_it_as_done_failed() {
    let h = Harness::start().await;
    subscribe(&h, "news", &["sub1", "sub2", "sub3"]).await;
    let data = json!({"topic": "news", "message": "hi"});
    h.send("sender", "b-3", Task::Broadcast, data.clone()).await;
    let record = one(&h).await;
    // DynamoDB refuses the completion (a PutItem) every time: the job comes back, fanned out.
    h.proxy
        .inject(Fault::always(FaultKind::Status(500), &["PutItem"]));
    let failed = h.processor.process(std::slice::from_ref(&record), None).await;
    assert_eq!(failed, std::slice::from_ref(&record.message_id));
    h.proxy.clear();
    expire_lock(&h, "sender", "b-3", data).await;

    assert!(h.processor.process(&[record], None).await.is_empty());

    for sub in ["sub1", "sub2", "sub3"] {
        assert_eq!(broadcasts(&h, sub).len(), 1, "{sub} got the broadcast once");
    }
    assert_eq!(h.stub.posts_to("sender")[0]["data"]["delivered"], 3);
}

#[tokio::test]
async fn a_reply_over_the_websocket_limit_is_dead_lettered_with_its_reason_at_once() {
    let h = Harness::start().await;
    // 135 KB of data: the result echoes it and exceeds API Gateway's 128 KB message payload
    // (API Gateway quotas for WebSocket APIs); @connections would refuse it with 413.
    h.send("connL", "r-large", Task::Notify, json!("x".repeat(135_000)))
        .await;
    let record = one(&h).await;

    assert!(
        h.processor.process(&[record], None).await.is_empty(),
        "acknowledged"
    );

    let dead = h.dead_letters().await;
    assert_eq!(dead.len(), 1);
    assert_eq!(
        attribute(&dead[0], "ErrorReason").as_deref(),
        Some("reply_too_large")
    );
    let told = h.stub.posts_to("connL");
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["error"]["reason"], "reply_too_large");
    assert!(
        serde_json::to_vec(&told[0]).unwrap().len() < 1024,
        "a short error reply"
    );
}

#[tokio::test]
async fn a_reply_refused_for_good_is_dead_lettered_with_its_reason_at_once() {
    let h = Harness::start().await;
    h.stub.refuse("connR", 400);
    h.send("connR", "r-refused", Task::Notify, json!("hi")).await;
    let record = one(&h).await;

    assert!(h.processor.process(&[record], None).await.is_empty());

    let dead = h.dead_letters().await;
    assert_eq!(dead.len(), 1);
    assert_eq!(
        attribute(&dead[0], "ErrorReason").as_deref(),
        Some("reply_refused")
    );
}

async fn stored_at(h: &Harness, request_id: &str) -> String {
    let item = h
        .ddb
        .get_item()
        .table_name(&h.resources.results_table)
        .key("requestId", AttributeValue::S(request_id.into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the result is stored");
    item["storedAt"].as_n().unwrap().clone()
}

#[tokio::test]
async fn a_done_job_coming_back_through_the_dlq_is_not_run_again() {
    let h = Harness::start().await;
    let job = Job::new(
        "connS",
        "r-store",
        Task::Store,
        json!({"order": 7}),
        Source::Route,
    );
    h.send_body("connS", "r-store", &job.to_body()).await;
    assert!(h.processor.process(&[one(&h).await], None).await.is_empty());
    let first = stored_at(&h, "r-store").await;

    // The same job as a replay delivers it: a new message, a new deduplication id.
    h.send_body("connS", "replay-5f0c2a9e", &job.to_body()).await;
    assert!(h.processor.process(&[one(&h).await], None).await.is_empty());

    assert_eq!(stored_at(&h, "r-store").await, first, "not written again");
    assert_eq!(h.stub.posts_to("connS").len(), 1, "answered once");
}

#[tokio::test]
async fn a_reused_request_id_with_another_payload_is_refused_with_its_reason() {
    let h = Harness::start().await;
    h.send_body(
        "connC",
        "d-1",
        &Job::new("connC", "r-same", Task::Notify, json!("a"), Source::Cli).to_body(),
    )
    .await;
    assert!(h.processor.process(&[one(&h).await], None).await.is_empty());
    h.send_body(
        "connC",
        "d-2",
        &Job::new("connC", "r-same", Task::Notify, json!("b"), Source::Cli).to_body(),
    )
    .await;

    assert!(h.processor.process(&[one(&h).await], None).await.is_empty());

    let dead = h.dead_letters().await;
    assert_eq!(dead.len(), 1);
    assert_eq!(
        attribute(&dead[0], "ErrorReason").as_deref(),
        Some("idempotency_conflict")
    );
    let told = h.stub.posts_to("connC");
    assert_eq!(told.len(), 2);
    assert_eq!(told[0]["data"]["received"], "a");
    assert_eq!(told[1]["error"]["reason"], "idempotency_conflict");
}

#[tokio::test]
async fn no_job_starts_near_the_deadline_and_the_rest_are_handed_back() {
    let h = Harness::start().await;
    for i in 0..8 {
        h.send("connD", &format!("r-{i}"), Task::Notify, json!(i)).await;
    }
    let records = h.take().await;
    assert_eq!(records.len(), 8);
    // Each job claims and completes: two PutItems of 400 ms each.
    h.proxy.inject(Fault::always(
        FaultKind::Latency(Duration::from_millis(400)),
        &["PutItem"],
    ));
    let started = std::time::Instant::now();
    let deadline = now_millis() + 7_000;

    let failed = h.processor.process(&records, Some(deadline)).await;

    assert!(
        started.elapsed() < Duration::from_secs(6),
        "returned before the deadline"
    );
    let done = 8 - failed.len();
    assert!((1..8).contains(&done), "{done} of 8 done before the 5 s reserve");
    let later: Vec<String> = records[done..].iter().map(|r| r.message_id.clone()).collect();
    assert_eq!(failed, later, "the group's remaining messages, in order");
    assert_eq!(h.stub.posts_to("connD").len(), done);
}

#[tokio::test]
async fn releasing_an_expired_claim_leaves_the_newer_claim_alone() {
    let h = Harness::start().await;
    let store = DynamoIdempotency::new(
        h.ddb.clone(),
        &h.resources.idempotency_table,
        Duration::from_secs(3600),
    );
    let key = Job::new("connK", "r-k", Task::Notify, json!(1), Source::Cli).key();
    let (stale, newer) = (ClaimToken::new(), ClaimToken::new());
    let acquired = |token: &ClaimToken| Claim::Acquired {
        token: token.clone(),
        progress: FanoutProgress::default(),
    };
    let claim = store.claim(&key, &stale, now_millis() - 1).await.unwrap();
    assert_eq!(claim, acquired(&stale));
    // Its lock has expired: a redelivery takes over.
    let claim = store.claim(&key, &newer, now_millis() + 60_000).await.unwrap();
    assert_eq!(claim, acquired(&newer));

    store.release(&key, &stale).await.unwrap();

    let third = store
        .claim(&key, &ClaimToken::new(), now_millis() + 60_000)
        .await
        .unwrap();
    assert_eq!(third, Claim::InProgress);
}

#[tokio::test]
async fn throttled_and_failed_backend_calls_are_retried_within_the_job() {
    let h = Harness::start().await;
    h.send("connT", "r-t", Task::Notify, json!("hi")).await;
    let record = one(&h).await;
    // The claim (a conditional UpdateItem) applied but its answer lost, then the retry
    // throttled: the third attempt recognises its own claim. The reset completion (PutItem) is
    // retried.
    h.proxy
        .inject(Fault::next(1, FaultKind::DropResponse, &["UpdateItem"]));
    h.proxy
        .inject(Fault::next(1, FaultKind::Throttle, &["UpdateItem"]));
    h.proxy.inject(Fault::next(1, FaultKind::Reset, &["PutItem"]));
    assert!(h.processor.process(&[record], None).await.is_empty());
    assert_eq!(h.proxy.injected(), 3);
    assert_eq!(h.stub.posts_to("connT").len(), 1);
}
