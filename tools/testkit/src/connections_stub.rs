//! An HTTP stub of the API Gateway `@connections` API: `POST /{stage}/@connections/{id}`
//! answers 200 and keeps the payload, 410 (`GoneException`) for ids marked gone, and chosen
//! error statuses for ids marked failing (always, or for their next N posts); it can also stop
//! answering after a number of posts, as a worker that dies mid-broadcast sees it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

struct Shared {
    posts: Mutex<Vec<(String, serde_json::Value)>>,
    gone: Mutex<HashSet<String>>,
    /// Status to answer per id, and how many more posts get it (`None`: all of them).
    failing: Mutex<HashMap<String, (u16, Option<usize>)>>,
    /// Posts still answered before every further one is held (`None`: no stall).
    stall_after: Mutex<Option<usize>>,
    /// Flipped to let held posts go (answered 503, not kept).
    unstalled: tokio::sync::watch::Sender<bool>,
}

/// A running `@connections` stub; clones share its state (posts received, ids marked).
#[derive(Clone)]
pub struct ConnectionsStub {
    shared: Arc<Shared>,
    url: String,
}

impl ConnectionsStub {
    /// Serves on a free loopback port until the runtime stops. `url()` is the callback URL.
    pub async fn start() -> anyhow::Result<ConnectionsStub> {
        let shared = Arc::new(Shared {
            posts: Mutex::default(),
            gone: Mutex::default(),
            failing: Mutex::default(),
            stall_after: Mutex::default(),
            unstalled: tokio::sync::watch::channel(false).0,
        });
        let app = Router::new()
            .route("/{stage}/@connections/{id}", post(with_stage))
            .route("/@connections/{id}", post(without_stage))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/test", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(ConnectionsStub { shared, url })
    }

    /// The callback URL, `http://127.0.0.1:{port}/test` (stage `test`), as a worker's
    /// `CALLBACK_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// From now on, posts to connection `id` get 410 `GoneException`, as for a client that
    /// disconnected, and are not kept.
    pub fn mark_gone(&self, id: &str) {
        self.shared.gone.lock().unwrap().insert(id.to_owned());
    }

    /// From now on, posts to connection `id` get 500 (an injected failure) and are not kept.
    pub fn mark_failing(&self, id: &str) {
        self.answer_with(id, 500, None);
    }

    /// The next `times` posts to connection `id` get `status` and are not kept.
    pub fn fail_next(&self, id: &str, times: usize, status: u16) {
        self.answer_with(id, status, Some(times));
    }

    /// From now on, posts to connection `id` get `status` (a 4xx refuses them for good).
    pub fn refuse(&self, id: &str, status: u16) {
        self.answer_with(id, status, None);
    }

    fn answer_with(&self, id: &str, status: u16, times: Option<usize>) {
        self.shared
            .failing
            .lock()
            .unwrap()
            .insert(id.to_owned(), (status, times));
    }

    /// The next `answered` posts are handled as usual; every later one is held without an
    /// answer until [`unstall`](Self::unstall), and never kept.
    pub fn stall_after(&self, answered: usize) {
        self.shared.unstalled.send_replace(false);
        *self.shared.stall_after.lock().unwrap() = Some(answered);
    }

    /// Answers every held post with 503 and handles later posts as usual.
    pub fn unstall(&self) {
        *self.shared.stall_after.lock().unwrap() = None;
        self.shared.unstalled.send_replace(true);
    }

    /// Payloads posted to `id`, in order, as JSON (`null` for non-JSON payloads).
    pub fn posts_to(&self, id: &str) -> Vec<serde_json::Value> {
        let posts = self.shared.posts.lock().unwrap();
        posts
            .iter()
            .filter(|(c, _)| c == id)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Payloads accepted (200) so far, all connections together.
    pub fn post_count(&self) -> usize {
        self.shared.posts.lock().unwrap().len()
    }
}

async fn with_stage(
    State(shared): State<Arc<Shared>>,
    Path((_stage, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    receive(&shared, id, body).await
}

async fn without_stage(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Response {
    receive(&shared, id, body).await
}

/// Whether this post is held: the stall's allowance of answered posts is used up.
fn stalls(shared: &Shared) -> bool {
    let mut stall = shared.stall_after.lock().unwrap();
    match stall.as_mut() {
        None => false,
        Some(0) => true,
        Some(left) => {
            *left -= 1;
            false
        }
    }
}

async fn receive(shared: &Shared, id: String, body: Bytes) -> Response {
    if stalls(shared) {
        let mut unstalled = shared.unstalled.subscribe();
        let _ = unstalled.wait_for(|go| *go).await;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    answer(shared, id, body)
}

fn answer(shared: &Shared, id: String, body: Bytes) -> Response {
    if shared.gone.lock().unwrap().contains(&id) {
        let headers = [("x-amzn-ErrorType", "GoneException")];
        return (StatusCode::GONE, headers, r#"{"message":null}"#).into_response();
    }
    if let Some(status) = injected_status(shared, &id) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (status, r#"{"message":"injected failure"}"#).into_response();
    }
    let value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    shared.posts.lock().unwrap().push((id, value));
    StatusCode::OK.into_response()
}

/// The status a post to `id` is answered with instead of 200, counting down a limited failure.
fn injected_status(shared: &Shared, id: &str) -> Option<u16> {
    let mut failing = shared.failing.lock().unwrap();
    let (status, times) = failing.get_mut(id)?;
    let status = *status;
    match times {
        Some(0) => return None,
        Some(n) => *n -= 1,
        None => {}
    }
    Some(status)
}
