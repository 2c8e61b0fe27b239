//! A fault-injecting HTTP proxy on loopback, put in front of a backend (moto, `@connections`)
//! by pointing a client's endpoint URL at it. Every request is forwarded unchanged unless a
//! [`Fault`] rule picks it: then the proxy adds latency, answers an error itself (the backend
//! never sees the request), resets the connection, or forwards the request and resets the
//! connection instead of returning the answer (the backend applied it; the client cannot know).
//!
//! A rule matches requests by operation name (`SendMessageBatch`, `PutItem`, `PostToConnection`:
//! the `X-Amz-Target` suffix of the AWS JSON protocols, else the `@connections` path, else the
//! `Action` of the query protocol) and fires at a rate, on the next N matches, or both.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// What a rule does to a request it picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Waits this long before forwarding (a slow or distant backend).
    Latency(Duration),
    /// Answers this status itself (500, 503, …) with an `InternalFailure` error body.
    Status(u16),
    /// Answers 400 `ThrottlingException` itself, as a throttled AWS service does.
    Throttle,
    /// Closes the connection without an answer; the backend never sees the request.
    Reset,
    /// Forwards the request, then closes the connection instead of answering: the backend
    /// applied it, the client sees a lost connection.
    DropResponse,
}

/// One injection rule: which requests, what to do, how often.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Operations the rule applies to (exact names); empty for every request.
    pub operations: Vec<String>,
    /// What the rule does.
    pub kind: FaultKind,
    /// The probability that a matching request is picked (1.0: every one).
    pub rate: f64,
    /// How many more requests it may pick; `None` for no limit.
    pub times: Option<usize>,
}

impl Fault {
    /// `kind` on every matching request of `operations` (empty: every request).
    pub fn always(kind: FaultKind, operations: &[&str]) -> Fault {
        Fault {
            operations: operations.iter().map(|o| (*o).to_owned()).collect(),
            kind,
            rate: 1.0,
            times: None,
        }
    }

    /// `kind` on the next `times` matching requests of `operations`.
    pub fn next(times: usize, kind: FaultKind, operations: &[&str]) -> Fault {
        Fault {
            times: Some(times),
            ..Fault::always(kind, operations)
        }
    }

    /// `kind` on a share `rate` (0 to 1) of the matching requests of `operations`.
    pub fn at_rate(rate: f64, kind: FaultKind, operations: &[&str]) -> Fault {
        Fault {
            rate,
            ..Fault::always(kind, operations)
        }
    }

    fn matches(&self, operation: &str) -> bool {
        self.operations.is_empty() || self.operations.iter().any(|o| o == operation)
    }
}

#[derive(Default)]
struct Shared {
    upstream: Mutex<String>,
    rules: Mutex<Vec<Fault>>,
    injected: AtomicUsize,
    forwarded: AtomicUsize,
    requests: AtomicU64,
}

/// A running fault proxy; clones share its rules and counters. It serves until the runtime
/// stops.
#[derive(Clone)]
pub struct FaultProxy {
    shared: Arc<Shared>,
    url: String,
}

impl FaultProxy {
    /// Serves on a free loopback port, forwarding to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> anyhow::Result<FaultProxy> {
        let shared = Arc::new(Shared::default());
        *shared.upstream.lock().unwrap() = upstream.trim_end_matches('/').to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(serve(listener, shared.clone()));
        Ok(FaultProxy { shared, url })
    }

    /// `http://127.0.0.1:{port}`: the endpoint URL clients use instead of the backend's.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Adds a rule; rules are tried in the order they were added, the first that picks a
    /// request decides (a latency rule delays it, then the next rules are tried).
    pub fn inject(&self, fault: Fault) {
        self.shared.rules.lock().unwrap().push(fault);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.shared.rules.lock().unwrap().clear();
    }

    /// Requests a rule picked so far (latency rules included).
    pub fn injected(&self) -> usize {
        self.shared.injected.load(Ordering::Relaxed)
    }

    /// Requests that reached the backend so far.
    pub fn forwarded(&self) -> usize {
        self.shared.forwarded.load(Ordering::Relaxed)
    }
}

async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (shared, client) = (shared.clone(), client.clone());
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request| handle(shared.clone(), client.clone(), request));
            // A service error closes the connection without an answer: that is the reset.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The injected "connection reset": an error makes hyper drop the connection unanswered.
#[derive(Debug)]
struct Reset;

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected connection reset")
    }
}

impl std::error::Error for Reset {}

type Answer = Result<Response<Full<Bytes>>, Reset>;

async fn handle(
    shared: Arc<Shared>,
    client: Client<HttpConnector, Full<Bytes>>,
    request: Request<Incoming>,
) -> Answer {
    let operation = operation(&request);
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|_| Reset)?.to_bytes();
    let mut drop_response = false;
    for kind in shared.picks(&operation) {
        match kind {
            FaultKind::Latency(delay) => tokio::time::sleep(delay).await,
            FaultKind::Status(status) => return Ok(error(status, "InternalFailure")),
            FaultKind::Throttle => return Ok(error(400, "ThrottlingException")),
            FaultKind::Reset => return Err(Reset),
            FaultKind::DropResponse => drop_response = true,
        }
    }
    let upstream = shared.upstream.lock().unwrap().clone();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut forward = Request::from_parts(parts.clone(), Full::new(body));
    *forward.uri_mut() = format!("{upstream}{path}").parse().map_err(|_| Reset)?;
    let answer = client.request(forward).await.map_err(|_| Reset)?;
    shared.forwarded.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = answer.into_parts();
    let body = body.collect().await.map_err(|_| Reset)?.to_bytes();
    if drop_response {
        return Err(Reset);
    }
    Ok(Response::from_parts(parts, Full::new(body)))
}

impl Shared {
    /// The faults the rules pick for one request of `operation`: latencies, then at most one
    /// other fault.
    fn picks(&self, operation: &str) -> Vec<FaultKind> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut rules = self.rules.lock().unwrap();
        let mut picked = Vec::new();
        for rule in rules.iter_mut() {
            if !rule.matches(operation) || rule.times == Some(0) || rand::random::<f64>() >= rule.rate {
                continue;
            }
            if let Some(times) = rule.times.as_mut() {
                *times -= 1;
            }
            self.injected.fetch_add(1, Ordering::Relaxed);
            picked.push(rule.kind);
            if !matches!(rule.kind, FaultKind::Latency(_)) {
                break;
            }
        }
        picked
    }
}

/// An AWS error answer both protocol families read: `__type` for the JSON protocols,
/// `x-amzn-ErrorType` for REST JSON (`@connections`), `x-amzn-query-error` for SQS' query
/// compatibility.
fn error(status: u16, code: &str) -> Response<Full<Bytes>> {
    let body = format!(r#"{{"__type":"{code}","message":"injected by the fault proxy"}}"#);
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-ErrorType", code)
        .header("x-amzn-query-error", format!("{code};Sender"))
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}

/// The operation a request calls (see the module documentation).
fn operation<B>(request: &Request<B>) -> String {
    if let Some(target) = request
        .headers()
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
    {
        return target.rsplit('.').next().unwrap_or(target).to_owned();
    }
    if request.uri().path().contains("/@connections/") {
        return "PostToConnection".to_owned();
    }
    request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("Action=")))
        .unwrap_or(request.uri().path())
        .to_owned()
}
