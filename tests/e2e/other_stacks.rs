//! `wsflow dev --template <file>` on stacks written the way other people write them (the
//! fixtures in `tests/fixtures/stacks`): SAM and CloudFormation YAML, Python, Node.js and
//! custom-runtime functions, a workflow answering through @connections, an SQS integration
//! feeding an event-source function. Each is driven by a real WebSocket client.
//!
//! Expected values come from AWS-authored sources: the message event of aws-lambda-go's
//! `events/testdata/apigw-websocket-request-send-message.json` and the `$connect`/message events
//! of Powertools' `tests/events/apiGatewayWebSocketApi*.json` (a message event has no headers);
//! the connection record of aws-samples/serverless-patterns
//! `apigw-websocket-api-connection-dynamodb` (README), written by `$input.params().get('header')`;
//! Lambda's defined runtime environment variables ("Using Lambda environment variables"); a
//! refused `$connect` answering the handshake with the function's status ("Working with $connect
//! and $disconnect routes"); `apigateway:invoke` as the Step Functions developer guide describes
//! it. AWS documents no error frame for a failed integration; the one asserted here
//! (`{"message": "Internal server error", "connectionId": …, "requestId": …}`) is what clients of
//! AWS's own chat sample report receiving.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;
use wsflow_e2e::{connect_with, next_json, refusal_status, repo_root, send, until, Dev, Socket};

fn stack(name: &str) -> PathBuf {
    repo_root()
        .join("tests/fixtures/stacks")
        .join(name)
        .join("template.yaml")
}

async fn start(name: &str) -> anyhow::Result<Dev> {
    Dev::launch(&stack(name), false).await
}

async fn open(dev: &Dev, path: &str) -> Socket {
    connect_with(&dev.ws_url(path), &[])
        .await
        .expect("the handshake is accepted")
}

/// An integration failure as API Gateway reports it to the client.
fn is_internal_error(frame: &Value) -> bool {
    frame["message"] == "Internal server error"
        && frame["connectionId"].is_string()
        && frame["requestId"].is_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_function_gets_lambdas_event_and_environment_and_its_failures_answer_as_api_gateway(
) -> anyhow::Result<()> {
    let dev = start("python-echo").await?;
    let mut socket = open(&dev, "/dev").await;
    send(&mut socket, r#"{"action":"anything","n":1}"#).await;
    let answer = next_json(&mut socket).await?;
    let event = &answer["event"];
    assert_eq!(event["body"], r#"{"action":"anything","n":1}"#);
    assert_eq!(event["isBase64Encoded"], false);
    let context = &event["requestContext"];
    for field in [
        "routeKey",
        "messageId",
        "eventType",
        "extendedRequestId",
        "requestTime",
        "messageDirection",
        "stage",
        "connectedAt",
        "requestTimeEpoch",
        "requestId",
        "domainName",
        "connectionId",
        "apiId",
    ] {
        assert!(
            !context[field].is_null(),
            "requestContext.{field} missing: {context}"
        );
    }
    assert_eq!(context["routeKey"], "$default");
    assert_eq!(context["eventType"], "MESSAGE");
    assert_eq!(context["messageDirection"], "IN");
    assert_eq!(context["stage"], "dev");
    assert_eq!(context["identity"]["sourceIp"], "127.0.0.1");
    // "dd/MMM/yyyy:HH:mm:ss +0000", as in AWS's sample events.
    let time = context["requestTime"].as_str().unwrap();
    assert!(time.len() == 26 && time.ends_with(" +0000"), "{time}");
    assert!(
        event.get("headers").is_none(),
        "a message event has no headers: {event}"
    );

    assert_eq!(
        answer["greeting"], "hello from dev",
        "the template's variables, resolved"
    );
    assert_eq!(answer["vendored"], "vendored", "the code folder is on the path");
    assert!(answer["boto3"].is_string(), "boto3 ships with the runtime");
    assert_eq!(answer["memory_limit_in_mb"], "256");
    let remaining = answer["remaining_ms"].as_u64().unwrap();
    assert!(remaining > 0 && remaining <= 2_000, "Timeout 2 s: {remaining}");
    let env = &answer["env"];
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], answer["function_name"]);
    assert_eq!(env["_HANDLER"], "app.handler");
    assert!(env["LAMBDA_TASK_ROOT"]
        .as_str()
        .unwrap()
        .ends_with("python-echo/echo"));
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    assert_eq!(env["AWS_REGION"], "us-east-1");

    send(&mut socket, "raise").await;
    let frame = next_json(&mut socket).await?;
    assert!(is_internal_error(&frame), "{frame}");
    send(&mut socket, "crash").await;
    let frame = next_json(&mut socket).await?;
    assert!(is_internal_error(&frame), "{frame}");
    // The crashed process was replaced: a fresh execution environment counts from 1.
    send(&mut socket, "again").await;
    let answer = next_json(&mut socket).await?;
    assert_eq!(answer["invocations"], 1, "{answer}");

    let started = Instant::now();
    send(&mut socket, "sleep").await;
    let frame = next_json(&mut socket).await?;
    assert!(is_internal_error(&frame), "{frame}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(10),
        "timeout enforced: {waited:?}"
    );
    dev.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nodejs_chat_stores_connections_and_broadcasts_through_connections() -> anyhow::Result<()> {
    let dev = start("node-chat").await?;
    // $connect answers 403: API Gateway refuses the handshake with that status.
    assert_eq!(
        refusal_status(connect_with(&dev.ws_url("/prod?refuse=yes"), &[]).await),
        403
    );
    let mut alice = open(&dev, "/prod?name=alice").await;
    let mut bob = open(&dev, "/prod?name=bob").await;
    let table = dev.table("ConnectionsTable").await;
    let dynamo = aws_sdk_dynamodb::Client::new(&dev.sdk().await);
    let count = || async { dynamo.scan().table_name(&table).send().await.unwrap().count };
    assert_eq!(count().await, 2, "the ES module stored both connections");

    send(&mut bob, r#"{"action":"sendmessage","message":"hello, room"}"#).await;
    for socket in [&mut alice, &mut bob] {
        let (frame, _) = until(socket, |f| f["message"] == "hello, room").await?;
        assert!(frame["from"].is_string(), "{frame}");
    }
    drop(bob);
    wsflow_e2e::eventually("the CommonJS $disconnect to delete bob", || async {
        count().await == 1
    })
    .await?;
    dev.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_runtime_bootstrap_answers_through_the_runtime_api() -> anyhow::Result<()> {
    let dev = start("custom-runtime").await?;
    let mut socket = open(&dev, "/live").await;
    send(&mut socket, "ping").await;
    assert_eq!(next_json(&mut socket).await?, "function.handler:ping");
    dev.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unnamed_executions_get_names_and_the_workflow_answers_the_caller_through_connections(
) -> anyhow::Result<()> {
    let dev = start("workflow").await?;
    let mut socket = open(&dev, "/dev").await;
    send(&mut socket, r#"{"action":"start","job":"one"}"#).await;
    send(&mut socket, r#"{"action":"start","job":"two"}"#).await;
    let mut started = Vec::new();
    let mut results = Vec::new();
    while started.len() < 2 || results.len() < 2 {
        let frame = next_json(&mut socket).await?;
        if let Some(arn) = frame["executionArn"].as_str() {
            started.push(arn.to_owned());
        } else {
            results.push(frame);
        }
    }
    // StartExecution without `name`: AWS names it with a UUID, and the ARN ends with the name.
    let names: Vec<&str> = started
        .iter()
        .map(|arn| arn.rsplit(':').next().unwrap())
        .collect();
    assert_ne!(names[0], names[1]);
    for name in &names {
        assert_eq!(name.len(), 36, "a UUID: {name}");
    }
    let mut answered: Vec<String> = results
        .iter()
        .map(|r| r["result"].as_str().unwrap().to_owned())
        .collect();
    answered.sort();
    assert_eq!(answered, ["done one", "done two"]);
    for result in &results {
        assert!(names.contains(&result["execution"].as_str().unwrap()), "{result}");
    }
    dev.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yaml_stack_writes_the_documented_connection_record_and_answers_from_its_queue(
) -> anyhow::Result<()> {
    let dev = Dev::launch_with(
        &stack("yaml-sqs"),
        false,
        &["--parameter-overrides", "Greeting=hi"],
    )
    .await?;
    let mut socket = open(&dev, "/test").await;
    let table = dev.table("Connections").await;
    let dynamo = aws_sdk_dynamodb::Client::new(&dev.sdk().await);
    let items = dynamo
        .scan()
        .table_name(&table)
        .send()
        .await?
        .items
        .unwrap_or_default();
    let headers = items[0]["headers"].as_s().unwrap();
    // The form AWS documents for `$input.params().get('header')` in a connection record:
    // {Host=…, Sec-WebSocket-Extensions=…, Sec-WebSocket-Key=…, Sec-WebSocket-Version=13,
    //  X-Amzn-Trace-Id=Root=…, X-Forwarded-For=…, X-Forwarded-Port=443, X-Forwarded-Proto=https}
    // (this client sends no Sec-WebSocket-Extensions; locally the port and scheme are ws://'s).
    let pattern = placeholders(headers);
    assert_eq!(
        pattern,
        "{Host=127.0.0.1:PORT, Sec-WebSocket-Key=KEY, Sec-WebSocket-Version=13, \
         X-Amzn-Trace-Id=Root=1-TIME-TRACE, X-Forwarded-For=127.0.0.1, X-Forwarded-Port=PORT, X-Forwarded-Proto=http}",
        "{headers}"
    );

    send(&mut socket, r#"{"action":"enqueue","text":"queued hello"}"#).await;
    let reply = next_json(&mut socket).await?;
    assert_eq!(
        reply["greeting"], "hi (test)",
        "Fn::If on the stage parameter, the override applied"
    );
    assert_eq!(reply["received"]["text"], "queued hello");
    dev.stop().await
}

/// `headers` with its variable parts replaced by placeholders.
fn placeholders(headers: &str) -> String {
    let mut out = String::new();
    for (i, part) in headers.trim_matches(['{', '}']).split(", ").enumerate() {
        let (name, value) = part.split_once('=').expect("name=value");
        let value = match name {
            "Host" => value.replace(value.rsplit(':').next().unwrap(), "PORT"),
            "Sec-WebSocket-Key" => "KEY".to_owned(),
            "X-Forwarded-Port" => "PORT".to_owned(),
            "X-Amzn-Trace-Id" => trace_shape(value),
            _ => value.to_owned(),
        };
        out.push_str(if i == 0 { "{" } else { ", " });
        out.push_str(&format!("{name}={value}"));
    }
    out.push('}');
    out
}

/// `Root=1-{8 hex}-{24 hex}` becomes `Root=1-TIME-TRACE`; anything else stays as it is.
fn trace_shape(value: &str) -> String {
    let hex = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit());
    match value
        .strip_prefix("Root=1-")
        .and_then(|rest| rest.split_once('-'))
    {
        Some((time, trace)) if hex(time, 8) && hex(trace, 24) => "Root=1-TIME-TRACE".to_owned(),
        _ => value.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_the_sam_translator_refuses_is_reported_by_resource() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("wsflow-bad-sam-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let template = dir.join("template.yaml");
    std::fs::write(
        &template,
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Listener:\n    Type: AWS::Serverless::Function\n    \
         Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      Events:\n        Queue:\n          \
         Type: SQS\n          Properties: {}\n",
    )?;
    let output = tokio::process::Command::new(wsflow_e2e::binaries().join("wsflow"))
        .args(["dev", "--port", "0", "--backend-port", "0", "--template"])
        .arg(&template)
        .current_dir(repo_root())
        .output()
        .await
        .context("running wsflow dev")?;
    std::fs::remove_dir_all(&dir)?;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("[ListenerQueue]") && stderr.contains("Queue"),
        "{stderr}"
    );
    Ok(())
}
