//! The real `default-route` binary behind a local Lambda Runtime API.

use std::time::Duration;

use serde_json::{json, Value};
use wsflow_lambda::runtimes::Launch;
use wsflow_lambda::{FunctionProcess, FunctionSpec};

#[tokio::test]
async fn answers_any_body_through_the_runtime_api() {
    let spec = FunctionSpec {
        name: "default-route".into(),
        launch: Launch::binary(env!("CARGO_BIN_EXE_default-route")),
        env: [("AWS_REGION".to_owned(), "us-east-1".to_owned())].into(),
        timeout: Duration::from_secs(10),
    };
    let function = FunctionProcess::spawn(spec).await.unwrap();
    for body in ["plain text", r#"{"action":"nope"}"#, "{broken"] {
        let event =
            json!({ "requestContext": { "routeKey": "$default", "connectionId": "c1" }, "body": body });
        let response = function.invoke(&event).await.unwrap();
        assert_eq!(response["statusCode"], 200, "{body}");
        let answer: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
        assert_eq!(answer["type"], "default");
        assert_eq!(answer["event"]["body"], body);
        assert_eq!(answer["routes"].as_array().unwrap().len(), 3);
    }
}
