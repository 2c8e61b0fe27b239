//! The FIFO-aware batch processor against in-memory ports with injected failures.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wsflow_core::memory::MemoryBackend;
use wsflow_core::ports::{PortError, PostError};
use wsflow_core::{
    BatchProcessor, HandlerConfig, Job, JobHandler, Reason, Record, RetryPolicy, Source, Task,
};

fn record(id: &str, group: &str, task: &str, data: Value) -> Record {
    let mut body = Job::new(group, id, Task::Notify, data, Source::Route).to_body();
    body = body.replace("\"task\":\"notify\"", &format!("\"task\":\"{task}\""));
    Record {
        message_id: format!("m-{id}"),
        group_id: Some(group.into()),
        dedup_id: Some(id.into()),
        receive_count: 1,
        body,
        attributes: Default::default(),
    }
}

fn notify(id: &str, group: &str) -> Record {
    record(id, group, "notify", json!({ "n": id }))
}

fn processor(backend: &Arc<MemoryBackend>, retry: RetryPolicy) -> BatchProcessor {
    let handler = JobHandler::new(
        backend.ports(),
        HandlerConfig {
            retry,
            fanout: 4,
            ..HandlerConfig::default()
        },
    );
    BatchProcessor::new(handler, 4)
}

fn request_ids(posts: &[Value]) -> Vec<&str> {
    posts.iter().map(|p| p["requestId"].as_str().unwrap()).collect()
}

fn fails_request(request_id: &'static str) -> wsflow_core::memory::PostFault {
    Box::new(move |_, payload| {
        let value: Value = serde_json::from_slice(payload).unwrap();
        (value["requestId"] == request_id).then(|| PostError::Failed(PortError::Transient("503".into())))
    })
}

/// Interleaved groups: A succeeds, B fails transiently at its second message, C holds a job with
/// an unknown task, D's client has disconnected.
fn interleaved_batch() -> Vec<Record> {
    vec![
        notify("a1", "connA"),
        notify("b1", "connB"),
        notify("c1", "connC"),
        notify("d1", "connD"),
        notify("a2", "connA"),
        notify("b2", "connB"),
        record("c2", "connC", "frobnicate", json!({})),
        notify("a3", "connA"),
        notify("b3", "connB"),
        notify("c3", "connC"),
    ]
}

#[tokio::test]
async fn a_failed_group_stops_while_other_groups_finish_in_order() {
    let backend = Arc::new(
        MemoryBackend::default().with_post_fault(Box::new(|conn, payload| {
            if conn == "connD" {
                return Some(PostError::Gone);
            }
            fails_request("b2")(conn, payload)
        })),
    );
    let batch = interleaved_batch();

    let failures = processor(&backend, RetryPolicy::none())
        .process(&batch, None)
        .await;

    assert_eq!(
        failures,
        vec!["m-b2", "m-b3"],
        "B's failure and everything after it in B"
    );
    let posts = backend.posts_by_connection();
    assert_eq!(request_ids(&posts["connA"]), ["a1", "a2", "a3"]);
    assert_eq!(request_ids(&posts["connB"]), ["b1"], "b3 must not overtake b2");
    assert_eq!(request_ids(&posts["connC"]), ["c1", "c2", "c3"]);
    assert!(!posts.contains_key("connD"));

    let c2 = &posts["connC"][1];
    assert_eq!(c2["status"], "error");
    assert_eq!(c2["error"]["reason"], "unknown_task");
    assert_eq!(c2["task"], "frobnicate");
    let dead = backend.dead_letters.lock().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].0.message_id, "m-c2");
    assert_eq!(dead[0].1.reason, Reason::UnknownTask);
    assert_eq!(
        *backend.forgotten.lock().unwrap(),
        ["connD"],
        "the gone connection's record is deleted"
    );
}

#[tokio::test]
async fn redelivery_repeats_only_what_did_not_finish() {
    let flaky = Arc::new(AtomicUsize::new(1));
    let flaky_in_fault = flaky.clone();
    let backend = Arc::new(
        MemoryBackend::default().with_post_fault(Box::new(move |conn, payload| {
            // b2 fails on the first delivery only.
            if flaky_in_fault.load(Ordering::SeqCst) > 0 {
                return fails_request("b2")(conn, payload);
            }
            None
        })),
    );
    let batch: Vec<Record> = interleaved_batch()
        .into_iter()
        .filter(|r| r.group_id.as_deref() != Some("connD"))
        .collect();
    let processor = processor(&backend, RetryPolicy::none());

    assert_eq!(processor.process(&batch, None).await, ["m-b2", "m-b3"]);
    flaky.store(0, Ordering::SeqCst);
    // SQS redelivers the whole batch (the acknowledged messages too, as after a lost delete).
    assert!(processor.process(&batch, None).await.is_empty());

    let posts = backend.posts_by_connection();
    assert_eq!(
        request_ids(&posts["connA"]),
        ["a1", "a2", "a3"],
        "no repeated side effects"
    );
    assert_eq!(request_ids(&posts["connB"]), ["b1", "b2", "b3"]);
    assert_eq!(
        backend.dead_letters.lock().unwrap().len(),
        2,
        "permanent failures are forwarded each time they arrive"
    );
}

#[tokio::test]
async fn transient_failures_are_retried_inside_the_invocation() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let seen = attempts.clone();
    let backend = Arc::new(MemoryBackend::default().with_post_fault(Box::new(move |_, _| {
        (seen.fetch_add(1, Ordering::SeqCst) < 2)
            .then(|| PostError::Failed(PortError::Transient("throttled".into())))
    })));
    let retry = RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    };

    let failures = processor(&backend, retry)
        .process(&[notify("x1", "connX")], None)
        .await;

    assert!(failures.is_empty());
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    assert_eq!(backend.posts_by_connection()["connX"].len(), 1);
}

#[tokio::test]
async fn a_malformed_body_is_dead_lettered_and_the_group_connection_is_told() {
    let backend = Arc::new(MemoryBackend::default());
    let mut bad = notify("z1", "connZ");
    bad.body = "{not json".into();

    let failures = processor(&backend, RetryPolicy::none())
        .process(&[bad], None)
        .await;

    assert!(
        failures.is_empty(),
        "a permanent failure is acknowledged once dead-lettered"
    );
    let posts = backend.posts_by_connection();
    assert_eq!(posts["connZ"][0]["error"]["reason"], "malformed_json");
    assert_eq!(
        backend.dead_letters.lock().unwrap()[0].1.reason,
        Reason::MalformedJson
    );
}

#[tokio::test]
async fn broadcast_reaches_subscribers_and_prunes_gone_ones() {
    let disconnected = Arc::new(AtomicUsize::new(0));
    let gone = disconnected.clone();
    let backend = Arc::new(MemoryBackend::default().with_post_fault(Box::new(move |conn, _| {
        (conn == "gone1" && gone.load(Ordering::SeqCst) == 1).then_some(PostError::Gone)
    })));
    let batch = [
        record("s1", "sub1", "subscribe", json!({"topic": "news"})),
        record("s2", "sub2", "subscribe", json!({"topic": "news"})),
        record("s3", "gone1", "subscribe", json!({"topic": "news"})),
    ];
    let processor = processor(&backend, RetryPolicy::none());
    assert!(processor.process(&batch, None).await.is_empty());
    disconnected.store(1, Ordering::SeqCst);

    let cast = record(
        "b1",
        "sender",
        "broadcast",
        json!({"topic": "news", "message": "hi"}),
    );
    assert!(processor.process(&[cast], None).await.is_empty());

    let posts = backend.posts_by_connection();
    for sub in ["sub1", "sub2"] {
        let last = posts[sub].last().unwrap();
        assert_eq!(last["type"], "broadcast");
        assert_eq!(last["message"], "hi");
    }
    let result = &posts["sender"][0];
    assert_eq!(
        result["data"],
        json!({"topic": "news", "subscribers": 3, "delivered": 2, "pruned": 1, "failed": 0})
    );
    assert!(backend.forgotten.lock().unwrap().contains(&"gone1".to_string()));
}
