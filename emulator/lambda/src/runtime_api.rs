//! The Lambda Runtime API endpoints a function process polls.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch, Mutex};

use crate::InvokeError;

type Answer = Result<Value, InvokeError>;

struct Pending {
    body: Vec<u8>,
    deadline: Duration,
    reply: oneshot::Sender<Answer>,
}

pub(crate) struct RuntimeApi {
    address: String,
    function_arn: String,
    queue: mpsc::UnboundedSender<Pending>,
    waiting: Mutex<mpsc::UnboundedReceiver<Pending>>,
    in_flight: StdMutex<HashMap<String, oneshot::Sender<Answer>>>,
    first_poll: watch::Sender<Option<Instant>>,
    init_error: StdMutex<Option<String>>,
    next_id: AtomicU64,
}

impl RuntimeApi {
    pub async fn serve(function_name: &str) -> anyhow::Result<Arc<RuntimeApi>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let (queue, waiting) = mpsc::unbounded_channel();
        let api = Arc::new(RuntimeApi {
            address: listener.local_addr()?.to_string(),
            function_arn: format!("arn:aws:lambda:us-east-1:000000000000:function:{function_name}"),
            queue,
            waiting: Mutex::new(waiting),
            in_flight: StdMutex::new(HashMap::new()),
            first_poll: watch::channel(None).0,
            init_error: StdMutex::new(None),
            next_id: AtomicU64::new(1),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(api.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(api)
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    pub async fn first_poll(&self) -> Result<Instant, InvokeError> {
        let mut first = self.first_poll.subscribe();
        let at = first
            .wait_for(Option::is_some)
            .await
            .map_err(|_| InvokeError::Exited("runtime API stopped".into()))?;
        Ok(at.expect("waited for Some"))
    }

    pub async fn dispatch(&self, event: &Value, deadline: Duration) -> Answer {
        let (reply, answer) = oneshot::channel();
        let body = serde_json::to_vec(event).expect("JSON values serialize");
        self.queue
            .send(Pending {
                body,
                deadline,
                reply,
            })
            .map_err(|_| InvokeError::Exited("runtime API stopped".into()))?;
        answer
            .await
            .unwrap_or_else(|_| Err(InvokeError::Exited("invocation abandoned".into())))
    }

    pub fn init_error(&self) -> Option<String> {
        self.init_error.lock().unwrap().clone()
    }

    fn settle(&self, id: &str, answer: Answer) -> StatusCode {
        match self.in_flight.lock().unwrap().remove(id) {
            Some(reply) => {
                let _ = reply.send(answer);
                StatusCode::ACCEPTED
            }
            None => StatusCode::BAD_REQUEST,
        }
    }
}

async fn next(State(api): State<Arc<RuntimeApi>>) -> Response {
    api.first_poll.send_if_modified(|at| {
        let first = at.is_none();
        at.get_or_insert_with(Instant::now);
        first
    });
    let Some(pending) = api.waiting.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let id = format!(
        "{:08x}-local-{}",
        std::process::id(),
        api.next_id.fetch_add(1, Ordering::Relaxed)
    );
    let deadline_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|now| (now + pending.deadline).as_millis())
        .unwrap_or_default();
    api.in_flight.lock().unwrap().insert(id.clone(), pending.reply);
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("lambda-runtime-aws-request-id", id.clone());
    set("lambda-runtime-deadline-ms", deadline_ms.to_string());
    set("lambda-runtime-invoked-function-arn", api.function_arn.clone());
    set("lambda-runtime-trace-id", format!("Root=1-00000000-{id}"));
    set("content-type", "application/json".into());
    (StatusCode::OK, headers, pending.body).into_response()
}

async fn response(State(api): State<Arc<RuntimeApi>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
    api.settle(&id, Ok(value))
}

async fn error(State(api): State<Arc<RuntimeApi>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let (error_type, message) = describe_error(&body);
    api.settle(&id, Err(InvokeError::Function { error_type, message }))
}

async fn init_error(State(api): State<Arc<RuntimeApi>>, body: Bytes) -> StatusCode {
    let (error_type, message) = describe_error(&body);
    *api.init_error.lock().unwrap() = Some(format!("{error_type}: {message}"));
    StatusCode::ACCEPTED
}

fn describe_error(body: &[u8]) -> (String, String) {
    let value: Value = serde_json::from_slice(body).unwrap_or_default();
    let text = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_owned()
    };
    (text("errorType"), text("errorMessage"))
}
