//! The envelope's validation table, checked against both the parser and the published schema.

use serde_json::{json, Value};
use wsflow_core::{Job, Reason, Task};

fn valid() -> Value {
    json!({
        "v": 1,
        "connectionId": "L0SM9cOFvHcCIhw=",
        "requestId": "req-1",
        "receivedAt": 1732240000000u64,
        "task": "store",
        "data": {"k": "v"},
        "source": "route"
    })
}

fn with(field: &str, value: Value) -> String {
    let mut envelope = valid();
    envelope[field] = value;
    envelope.to_string()
}

fn without(field: &str) -> String {
    let mut envelope = valid();
    envelope.as_object_mut().unwrap().remove(field);
    envelope.to_string()
}

fn task_with_data(task: &str, data: Value) -> String {
    let mut envelope = valid();
    envelope["task"] = json!(task);
    envelope["data"] = data;
    envelope.to_string()
}

fn schema() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schema/job-envelope.schema.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the published schema compiles")
}

/// Bodies the parser must reject, with the reason it must give and a word its message must hold.
fn rejections() -> Vec<(&'static str, String, Reason, &'static str)> {
    vec![
        (
            "malformed JSON",
            "{\"v\":1,".into(),
            Reason::MalformedJson,
            "not JSON",
        ),
        ("array body", "[1,2]".into(), Reason::NotAnObject, "object"),
        (
            "version 2",
            with("v", json!(2)),
            Reason::UnsupportedVersion,
            "version 2",
        ),
        (
            "version as text",
            with("v", json!("1")),
            Reason::InvalidField,
            "`v`",
        ),
        (
            "unknown task",
            with("task", json!("frobnicate")),
            Reason::UnknownTask,
            "frobnicate",
        ),
        ("missing task", without("task"), Reason::MissingField, "`task`"),
        (
            "missing connectionId",
            without("connectionId"),
            Reason::MissingField,
            "`connectionId`",
        ),
        (
            "missing requestId",
            without("requestId"),
            Reason::MissingField,
            "`requestId`",
        ),
        (
            "missing receivedAt",
            without("receivedAt"),
            Reason::MissingField,
            "`receivedAt`",
        ),
        ("missing data", without("data"), Reason::MissingField, "`data`"),
        (
            "missing source",
            without("source"),
            Reason::MissingField,
            "`source`",
        ),
        (
            "negative receivedAt",
            with("receivedAt", json!(-5)),
            Reason::InvalidField,
            "receivedAt",
        ),
        (
            "unknown source",
            with("source", json!("elsewhere")),
            Reason::InvalidField,
            "source",
        ),
        (
            "empty requestId",
            with("requestId", json!("")),
            Reason::InvalidField,
            "requestId",
        ),
        (
            "extra field",
            with("action", json!("enqueue")),
            Reason::UnknownField,
            "`action`",
        ),
        (
            "connection id with slash",
            with("connectionId", json!("a/b")),
            Reason::InvalidConnectionId,
            "a/b",
        ),
        (
            "empty connection id",
            with("connectionId", json!("")),
            Reason::InvalidConnectionId,
            "connection id",
        ),
        (
            "connection id too long",
            with("connectionId", json!("x".repeat(129))),
            Reason::InvalidConnectionId,
            "128",
        ),
        (
            "store without object",
            task_with_data("store", json!("text")),
            Reason::InvalidData,
            "store",
        ),
        (
            "store with empty object",
            task_with_data("store", json!({})),
            Reason::InvalidData,
            "non-empty",
        ),
        (
            "notify with null",
            task_with_data("notify", Value::Null),
            Reason::InvalidData,
            "null",
        ),
        (
            "subscribe without topic",
            task_with_data("subscribe", json!({})),
            Reason::InvalidData,
            "topic",
        ),
        (
            "subscribe with bad topic",
            task_with_data("subscribe", json!({"topic": "a b"})),
            Reason::InvalidData,
            "topic",
        ),
        (
            "broadcast without message",
            task_with_data("broadcast", json!({"topic": "t"})),
            Reason::InvalidData,
            "message",
        ),
        (
            "workflow-result with bad status",
            task_with_data(
                "workflow-result",
                json!({"executionArn": "arn", "status": "DONE"}),
            ),
            Reason::InvalidData,
            "SUCCEEDED",
        ),
        (
            "oversized body",
            // SQS takes messages up to 1 MiB (MaximumMessageSize, 1,048,576 bytes by default
            // since August 2025; SQS API reference, SetQueueAttributes).
            task_with_data("notify", json!("x".repeat(1024 * 1024))),
            Reason::MessageTooLarge,
            "limit",
        ),
    ]
}

#[test]
fn every_rejection_names_its_reason() {
    for (case, body, reason, word) in rejections() {
        let failure = Job::parse(&body).expect_err(case);
        assert_eq!(failure.reason, reason, "{case}: {failure}");
        assert!(
            failure.message.contains(word),
            "{case}: `{}` lacks `{word}`",
            failure.message
        );
    }
}

#[test]
fn the_schema_rejects_what_the_parser_rejects() {
    let schema = schema();
    for (case, body, _, _) in rejections() {
        let Ok(instance) = serde_json::from_str::<Value>(&body) else {
            continue; // not JSON at all: nothing for a schema to judge
        };
        if case == "oversized body" {
            continue; // a transport limit, not a shape rule
        }
        assert!(!schema.is_valid(&instance), "schema accepts {case}");
    }
}

#[test]
fn valid_envelopes_of_every_task_parse_and_match_the_schema() {
    let schema = schema();
    let examples = [
        ("notify", json!("hello")),
        ("store", json!({"k": "v"})),
        ("subscribe", json!({"topic": "news.eu"})),
        ("unsubscribe", json!({"topic": "news.eu"})),
        (
            "broadcast",
            json!({"topic": "news.eu", "message": {"text": "hi"}}),
        ),
        (
            "workflow-result",
            json!({"executionArn": "arn:aws:states:x", "status": "SUCCEEDED", "output": {"a": 1}}),
        ),
    ];
    for (task, data) in examples {
        let body = task_with_data(task, data.clone());
        let job = Job::parse(&body).unwrap_or_else(|f| panic!("{task}: {f}"));
        assert_eq!(job.task, Task::parse(task).unwrap());
        assert_eq!(job.data, data);
        assert!(
            schema.is_valid(&serde_json::from_str(&body).unwrap()),
            "schema rejects {task}"
        );
        assert_eq!(Job::parse(&job.to_body()).unwrap(), job, "{task} round-trips");
    }
}
