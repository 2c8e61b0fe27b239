//! The stack's walk-through on `wsflow dev`: the synthesized template, real binaries, a real
//! moto backend, real WebSocket clients.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use wsflow_e2e::{eventually, next_json, send, until, Dev, Socket};

/// The connection id as the stack sees it: `$default` echoes the event it received.
async fn connection_id(socket: &mut Socket) -> String {
    send(socket, "who am i").await;
    let reply = next_json(socket).await.unwrap();
    reply["event"]["requestContext"]["connectionId"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn connect_default_and_disconnect() {
    let dev = Dev::start().await.unwrap();
    let table = dev.table("Connections").await;
    let mut socket = dev
        .connect("/this/is/my/custom/path/?my_query=foo")
        .await
        .unwrap();

    send(&mut socket, "plain text").await;
    let reply = next_json(&mut socket).await.unwrap();
    assert_eq!(reply["type"], "default");
    assert_eq!(reply["received"], "plain text");
    let id = reply["event"]["requestContext"]["connectionId"]
        .as_str()
        .unwrap()
        .to_owned();

    let record = dev
        .connection_record(&table, &id)
        .await
        .expect("$connect stored the connection");
    assert_eq!(record["path"].as_s().unwrap(), "/this/is/my/custom/path/");
    let query: Value = serde_json::from_str(record["query"].as_s().unwrap()).unwrap();
    assert_eq!(query, json!({"my_query": "foo"}));
    assert!(record["ttl"].as_n().unwrap().parse::<u64>().unwrap() > 1_700_000_000);
    // Through CloudFront the viewer's `ip:port` comes in CloudFront-Viewer-Address ("Add
    // CloudFront request headers", CloudFront developer guide); the record keeps it.
    let viewer = record["viewerAddress"]
        .as_s()
        .expect("the viewer's address is stored");
    let (ip, port) = viewer.rsplit_once(':').expect("ip:port");
    assert_eq!(ip, "127.0.0.1");
    assert!(port.parse::<u16>().is_ok(), "{viewer}");

    socket.close(None).await.unwrap();
    eventually("$disconnect to delete the record", || async {
        dev.connection_record(&table, &id).await.is_none()
    })
    .await
    .unwrap();
    dev.stop().await.unwrap();
}

#[tokio::test]
async fn workflows_answer_at_once_and_later() {
    let dev = Dev::start().await.unwrap();
    let mut socket = dev.connect("/").await.unwrap();

    send(&mut socket, r#"{"action":"sync_sfn","data":"123456"}"#).await;
    let sync = next_json(&mut socket).await.unwrap();
    assert_eq!(sync["type"], "sync_sfn", "{sync}");
    assert_eq!(sync["status"], "SUCCEEDED", "{sync}");
    assert_eq!(sync["output"]["data"], "123456", "{sync}");

    send(&mut socket, r#"{"action":"async_sfn","data":"123456"}"#).await;
    let started = next_json(&mut socket).await.unwrap();
    assert_eq!(started["type"], "async_sfn", "{started}");
    let arn = started["executionArn"].as_str().unwrap().to_owned();
    assert!(arn.starts_with("arn:aws:states:"), "{arn}");
    let (result, _) = until(&mut socket, |m| m["task"] == "workflow-result")
        .await
        .unwrap();
    assert_eq!(result["status"], "ok", "{result}");
    assert_eq!(result["data"]["executionArn"], arn);
    dev.stop().await.unwrap();
}

#[tokio::test]
async fn jobs_are_stored_failures_dead_lettered_and_replayed() {
    let dev = Dev::start().await.unwrap();
    let mut socket = dev.connect("/").await.unwrap();

    send(
        &mut socket,
        r#"{"action":"enqueue","task":"store","data":{"k":"v"}}"#,
    )
    .await;
    let queued = next_json(&mut socket).await.unwrap();
    assert_eq!(queued["type"], "queued", "{queued}");
    let request_id = queued["requestId"].as_str().unwrap().to_owned();
    let (stored, _) = until(&mut socket, |m| m["type"] == "result").await.unwrap();
    assert_eq!(
        (stored["status"].as_str(), stored["data"]["key"].as_str()),
        (Some("ok"), Some(request_id.as_str()))
    );
    let item = aws_sdk_dynamodb::Client::new(&dev.sdk().await)
        .get_item()
        .table_name(dev.table("Results").await)
        .key("requestId", AttributeValue::S(request_id.clone()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the store job wrote its item");
    assert_eq!(item["data"].as_s().unwrap(), r#"{"k":"v"}"#);

    // The route's model keeps an unknown task off the queue…
    send(
        &mut socket,
        r#"{"action":"enqueue","task":"frobnicate","data":{}}"#,
    )
    .await;
    let refused = next_json(&mut socket).await.unwrap();
    assert_eq!(refused["message"], "Invalid request body", "{refused}");
    // …so a producer that bypasses the route puts it there: the worker dead-letters it.
    let id = connection_id(&mut socket).await;
    let envelope = json!({"v": 1, "connectionId": id, "requestId": "e2e-broken-1",
        "receivedAt": 1_700_000_000_000u64, "task": "frobnicate", "data": {}, "source": "cli"});
    aws_sdk_sqs::Client::new(&dev.sdk().await)
        .send_message()
        .queue_url(dev.queue("jobs.fifo").await)
        .message_body(envelope.to_string())
        .message_group_id(&id)
        .message_deduplication_id("e2e-broken-1")
        .send()
        .await
        .unwrap();
    let (failed, _) = until(&mut socket, |m| m["type"] == "result").await.unwrap();
    assert_eq!(failed["error"]["reason"], "unknown_task", "{failed}");
    let dlq = dev.queue("dlq").await;
    let replay = tokio::process::Command::new(wsflow_e2e::binaries().join("wsflow"))
        .args([
            "--endpoint-url",
            &dev.backend,
            "--region",
            "us-east-1",
            "dlq",
            "replay",
            "--queue",
            &dlq,
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .await
        .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    assert!(
        String::from_utf8_lossy(&replay.stdout).contains("moved 1"),
        "{}",
        String::from_utf8_lossy(&replay.stdout)
    );
    // Back through the queue and the worker: the client hears about it once more.
    let (again, _) = until(&mut socket, |m| m["type"] == "result").await.unwrap();
    assert_eq!(again["error"]["reason"], "unknown_task");
    assert_eq!(again["requestId"], failed["requestId"]);
    dev.stop().await.unwrap();
}

#[tokio::test]
async fn connections_api_works_with_the_sdk_and_limits_hold() {
    let dev = Dev::start().await.unwrap();
    let api = dev.management("api").await;
    let mut socket = dev.connect("/").await.unwrap();
    let id = connection_id(&mut socket).await;

    api.post_to_connection()
        .connection_id(&id)
        .data(aws_sdk_apigatewaymanagement::primitives::Blob::new("pushed"))
        .send()
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await.unwrap(), json!("pushed"));
    let info = api.get_connection().connection_id(&id).send().await.unwrap();
    assert!(info.connected_at.is_some());
    assert_eq!(info.identity.unwrap().source_ip.as_deref(), Some("127.0.0.1"));

    api.delete_connection().connection_id(&id).send().await.unwrap();
    let closed = tokio::time::timeout(wsflow_e2e::WAIT, async {
        loop {
            match futures::StreamExt::next(&mut socket).await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                _ => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "DeleteConnection closes the socket");
    let gone = api
        .post_to_connection()
        .connection_id(&id)
        .data(aws_sdk_apigatewaymanagement::primitives::Blob::new("late"))
        .send()
        .await
        .unwrap_err();
    assert!(
        gone.as_service_error().is_some_and(|e| e.is_gone_exception()),
        "{gone:?}"
    );

    let mut big = dev.connect("/").await.unwrap();
    send(&mut big, &"x".repeat(200 * 1024)).await;
    let close = tokio::time::timeout(wsflow_e2e::WAIT, async {
        loop {
            match futures::StreamExt::next(&mut big).await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                None | Some(Err(_)) => return None,
                _ => {}
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(
        close,
        Some(1009),
        "a 200 KB message closes the connection with 1009"
    );
    dev.stop().await.unwrap();
}

#[tokio::test]
async fn wscat_connects_sends_and_receives() {
    let dev = Dev::start().await.unwrap();
    let wscat = wsflow_e2e::repo_root().join("cdk/node_modules/.bin/wscat");
    assert!(wscat.exists(), "{} missing: `npm ci` in cdk/", wscat.display());
    // wscat prints what it receives only to a terminal: give it one with script(1).
    let command = format!(
        "{} -c '{}' -H 'Authorization: Bearer {}' -x '{}' -w 8",
        wscat.display(),
        dev.ws_url("/smoke/test?x=1"),
        dev.token().await.unwrap(),
        r#"{"action":"sync_sfn","data":"wscat"}"#
    );
    let output = tokio::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("\"type\": \"sync_sfn\"") && stdout.contains("\"data\": \"wscat\""),
        "wscat printed: {stdout}"
    );
    dev.stop().await.unwrap();
}
