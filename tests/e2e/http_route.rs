//! HTTP and HTTP_PROXY integrations (fixture `tests/fixtures/stacks/http-backend`) against an
//! HTTP server the test starts on 127.0.0.1, whose URL reaches the stack as the stage variable
//! `backendUrl` (`--parameter-overrides BackendUrl=…`).
//!
//! Expected values come from AWS's documentation: request parameters are mapped from
//! `context.*`, the body, stage variables and literals ("Set up data mapping for WebSocket APIs
//! in API Gateway", https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-data-mapping.html);
//! a proxy integration's backend output is passed to the caller as the complete payload, a
//! non-proxy HTTP integration's is mapped by the integration response whose key matches its
//! status code, and only a route with a route response answers the client ("Set up a WebSocket
//! API integration response in API Gateway",
//! https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-responses.html);
//! `TimeoutInMillis` may be 50 ms to 29 s ("Quotas for configuring and running a WebSocket in
//! API Gateway", https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html).
//! AWS documents no error frame for WebSocket APIs: the `Internal server error` frame is what
//! clients of AWS's own chat sample report receiving, and `Endpoint request timed out` is the
//! message of API Gateway's integration timeout (ARCHITECTURE.md, "Where AWS is silent").

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::{post, put};
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::{mpsc, Mutex};
use wsflow_e2e::{connect_with, next_json, repo_root, send, until, Dev, Socket, WAIT};

/// A request the backend received.
#[derive(Debug, Clone)]
struct Received {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

#[derive(Clone)]
struct Backend {
    received: mpsc::UnboundedSender<Received>,
    /// The stack's `@connections` API, known once `wsflow dev` runs.
    connections: Arc<OnceLock<aws_sdk_apigatewaymanagement::Client>>,
}

impl Backend {
    fn record(&self, method: Method, uri: Uri, headers: HeaderMap, body: String) -> Received {
        let received = Received {
            method,
            uri,
            headers,
            body,
        };
        let _ = self.received.send(received.clone());
        received
    }
}

/// `/messages` echoes, `/notify` answers the client through `@connections`, `/orders/{id}`
/// stores (201), `/slow` never answers.
async fn serve_backend(backend: Backend) -> anyhow::Result<String> {
    let app = Router::new()
        .route("/messages", post(messages))
        .route("/notify", post(notify))
        .route("/orders/{id}", put(orders))
        .route("/slow", post(slow))
        .with_state(backend);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

async fn messages(
    State(b): State<Backend>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> String {
    let received = b.record(method, uri, headers, body);
    json!({ "echo": received.body }).to_string()
}

async fn notify(
    State(b): State<Backend>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> String {
    let received = b.record(method, uri, headers, body);
    let connections = b.connections.get().expect("wsflow dev runs");
    connections
        .post_to_connection()
        .connection_id(received.header("connectionid"))
        .data(Blob::new(r#"{"from":"backend"}"#))
        .send()
        .await
        .expect("@connections accepts the post");
    "ignored: the route has no route response".to_owned()
}

async fn orders(
    State(b): State<Backend>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, &'static str) {
    b.record(method, uri, headers, body);
    (StatusCode::CREATED, r#"{"stored":true}"#)
}

async fn slow(
    State(b): State<Backend>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> String {
    b.record(method, uri, headers, body);
    std::future::pending().await
}

struct Harness {
    dev: Dev,
    received: Mutex<mpsc::UnboundedReceiver<Received>>,
}

impl Harness {
    async fn start() -> anyhow::Result<Harness> {
        let (sender, received) = mpsc::unbounded_channel();
        let connections = Arc::new(OnceLock::new());
        let url = serve_backend(Backend {
            received: sender,
            connections: connections.clone(),
        })
        .await?;
        let template = repo_root().join("tests/fixtures/stacks/http-backend/template.yaml");
        let backend_url = format!("BackendUrl={url}");
        let down_url = format!("DownUrl=http://127.0.0.1:{}", closed_port()?);
        let args = ["--parameter-overrides", &backend_url, &down_url];
        let dev = Dev::launch_with(&template, false, &args).await?;
        let _ = connections.set(dev.management("dev").await);
        Ok(Harness {
            dev,
            received: Mutex::new(received),
        })
    }

    async fn connect(&self) -> anyhow::Result<Socket> {
        Ok(connect_with(&self.dev.ws_url("/dev?user=alice"), &[]).await?)
    }

    async fn next_request(&self) -> anyhow::Result<Received> {
        let mut received = self.received.lock().await;
        tokio::time::timeout(WAIT, received.recv())
            .await
            .context("the backend received nothing in time")?
            .context("the backend stopped")
    }
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn is_error_frame(frame: &Value, message: &str) -> bool {
    frame["message"] == message && frame["connectionId"].is_string() && frame["requestId"].is_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_routes_reach_the_backend_with_mapped_parameters_and_answer_the_client() -> anyhow::Result<()> {
    let harness = Harness::start().await?;
    let mut socket = harness.connect().await?;

    let message = r#"{"action":"sendmessage","text":"hi"}"#;
    send(&mut socket, message).await;
    let sent = harness.next_request().await?;
    assert_eq!((sent.method.as_str(), sent.uri.path()), ("POST", "/messages"));
    assert_eq!(sent.body, message, "HTTP_PROXY passes the message as it is");
    let connection_id = sent.header("connectionid").to_owned();
    assert!(!connection_id.is_empty(), "{:?}", sent.headers);
    assert!(!sent.header("requestid").is_empty(), "{:?}", sent.headers);
    assert_eq!(sent.header("userid"), "alice", "context.authorizer.userId");
    assert_eq!(
        next_json(&mut socket).await?,
        json!({ "echo": message }),
        "two-way: the backend's body is the answer"
    );

    send(&mut socket, r#"{"action":"order","id":"A-7","quantity":3}"#).await;
    let order = harness.next_request().await?;
    assert_eq!(order.method, Method::PUT);
    assert_eq!(order.uri.to_string(), "/orders/A-7?stage=dev");
    assert_eq!(order.header("content-type"), "application/json");
    let rendered: Value = serde_json::from_str(&order.body)?;
    assert_eq!(rendered, json!({ "quantity": 3, "user": "alice" }));
    assert_eq!(
        next_json(&mut socket).await?,
        json!({ "status": "stored", "backend": { "stored": true } }),
        "the 201 is mapped by the /2\\d\\d/ integration response"
    );

    send(&mut socket, r#"{"action":"notify"}"#).await;
    let notify = harness.next_request().await?;
    assert_eq!(notify.header("connectionid"), connection_id);
    let (posted, _) = until(&mut socket, |f| f["from"] == "backend").await?;
    assert_eq!(posted, json!({ "from": "backend" }));
    // The one-way route's own answer would come before the next route's: none does.
    send(&mut socket, message).await;
    let (_, before) = until(&mut socket, |f| f["echo"] == message).await?;
    assert!(before.is_empty(), "a one-way route answered: {before:?}");
    harness.dev.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_or_slow_backend_gets_api_gateways_error_frames() -> anyhow::Result<()> {
    let harness = Harness::start().await?;
    let mut socket = harness.connect().await?;

    send(&mut socket, r#"{"action":"down"}"#).await;
    let frame = next_json(&mut socket).await?;
    assert!(is_error_frame(&frame, "Internal server error"), "{frame}");

    let started = Instant::now();
    send(&mut socket, r#"{"action":"slow"}"#).await;
    let reached = harness.next_request().await?;
    assert_eq!(reached.uri.path(), "/slow");
    let frame = next_json(&mut socket).await?;
    let waited = started.elapsed();
    assert!(is_error_frame(&frame, "Endpoint request timed out"), "{frame}");
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_secs(10),
        "TimeoutInMillis 500, not the 29 s default: {waited:?}"
    );
    harness.dev.stop().await
}
