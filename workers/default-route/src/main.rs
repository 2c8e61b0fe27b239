//! `$default`: answers any message no route matched with what was received, the routes that
//! exist and an example message for each. Any body is answered, JSON or not.

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::{json, Value};
use wsflow_core::Task;

// Every invocation allocates its event and reply: mimalloc, as the queue worker and `wsflow dev`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// An execution environment runs one invocation at a time: one thread spares the cross-thread
// wake-ups of a multi-threaded runtime (about a quarter of the CPU per job in `make bench`).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    wsflow_aws::logging::init_json();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<_, lambda_runtime::Error>(reply(&event.payload))
    }))
    .await
}

/// The AWS_PROXY response; with a route response on `$default`, its body reaches the client.
fn reply(event: &Value) -> Value {
    let body = event.get("body").and_then(Value::as_str).unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let hint = match parsed
        .as_ref()
        .and_then(|b| b.get("action"))
        .and_then(Value::as_str)
    {
        Some(action) => format!("no route is named `{action}`; use one of the routes below"),
        None if parsed.is_some() => "the message has no `action` field; add one naming a route below".into(),
        None => "the message is not JSON; send a JSON object with an `action` field".into(),
    };
    let message = json!({
        "type": "default",
        "message": hint,
        "received": parsed.unwrap_or_else(|| Value::String(body.to_owned())),
        "event": event,
        "routes": routes(),
    });
    json!({ "statusCode": 200, "body": message.to_string() })
}

fn routes() -> Value {
    let tasks: Vec<Value> = Task::ALL
        .into_iter()
        .filter(|t| *t != Task::WorkflowResult)
        .map(|t| json!({ "action": "enqueue", "task": t.as_str(), "data": t.example_data() }))
        .collect();
    json!([
        {
            "action": "enqueue",
            "description": "queue a job; its result arrives later as a {\"type\":\"result\"} message",
            "examples": tasks,
        },
        {
            "action": "sync_sfn",
            "description": "run the Express workflow and wait for its output",
            "example": { "action": "sync_sfn", "data": "123456" },
        },
        {
            "action": "async_sfn",
            "description": "start the Standard workflow: its execution ARN now, its result later",
            "example": { "action": "async_sfn", "data": "123456" },
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_sees(body: Value) -> Value {
        let response = reply(&json!({ "requestContext": { "routeKey": "$default" }, "body": body }));
        assert_eq!(response["statusCode"], 200);
        serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
    }

    #[test]
    fn plain_text_is_answered_with_the_text_and_the_routes() {
        let answer = client_sees(json!("hello there"));
        assert_eq!(answer["received"], "hello there");
        assert!(answer["message"].as_str().unwrap().contains("not JSON"));
        let actions: Vec<&str> = answer["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["enqueue", "sync_sfn", "async_sfn"]);
        assert_eq!(answer["event"]["requestContext"]["routeKey"], "$default");
    }

    #[test]
    fn every_enqueue_example_is_a_valid_task() {
        let answer = client_sees(json!(r#"{"action":"nope"}"#));
        assert!(answer["message"].as_str().unwrap().contains("`nope`"));
        for example in answer["routes"][0]["examples"].as_array().unwrap() {
            let task = Task::parse(example["task"].as_str().unwrap()).unwrap();
            let job = wsflow_core::Job::new(
                "c1",
                "r1",
                task,
                example["data"].clone(),
                wsflow_core::Source::Route,
            );
            wsflow_core::Job::parse(&job.to_body()).unwrap_or_else(|f| panic!("{task}: {f}"));
        }
    }

    #[test]
    fn a_missing_body_is_answered() {
        let response = reply(&json!({}));
        let answer: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
        assert_eq!(answer["received"], "");
    }
}
