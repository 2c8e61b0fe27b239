//! An HTTP stub of the API Gateway `@connections` API: `POST /{stage}/@connections/{id}`
//! answers 200 and keeps the payload, 410 (`GoneException`) for ids marked gone, and chosen
//! error statuses for ids marked failing (always, or for their next N posts).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

#[derive(Default)]
struct Shared {
    posts: Mutex<Vec<(String, serde_json::Value)>>,
    gone: Mutex<HashSet<String>>,
    /// Status to answer per id, and how many more posts get it (`None`: all of them).
    failing: Mutex<HashMap<String, (u16, Option<usize>)>>,
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
        let shared = Arc::new(Shared::default());
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
    receive(&shared, id, body)
}

async fn without_stage(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Response {
    receive(&shared, id, body)
}

fn receive(shared: &Shared, id: String, body: Bytes) -> Response {
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
