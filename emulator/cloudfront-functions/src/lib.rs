//! CloudFront Functions (`cloudfront-js-2.0`) run locally: a viewer-request handler executed
//! from its source code in an embedded QuickJS engine, so the local gateway runs the
//! template's real code on each WebSocket handshake.
//!
//! The model: [`CompiledFunction::compile`] evaluates the function's source (its
//! `FunctionCode`) once, on a thread of its own, and keeps the engine; limits and the fixed
//! event values can be set with [`CompiledFunction::compile_with`] and [`EdgeOptions`]. Each
//! [`CompiledFunction::viewer_request`] then takes a [`ViewerRequest`] (method, URI, query
//! string, headers, cookies, client IP), gives `handler(event)` the CloudFront Functions event
//! built from it, and turns what the handler returns into an [`EdgeOutcome`]: the request to
//! forward to the origin (possibly modified: [`EdgeOutcome::Forward`]) or a response to answer
//! the viewer with ([`EdgeOutcome::Respond`]). A function that throws, runs out of its budget
//! or returns something that is neither is an [`EdgeError`]. [`CompiledFunction::invoke`] also
//! returns the `console.log` lines ([`Invocation`]).
//!
//! The event has the CloudFront Functions structure (version `1.0`, `context`, `viewer`,
//! `request` with `{value}` / `{value, multiValue: [{value}…]}` query string, header and
//! cookie entries). A handler may also be `async` (return a promise).
//!
//! Limits: each call gets a time budget (default 50 ms; CloudFront allows about 1 ms of compute)
//! enforced by QuickJS's interrupt handler, and the runtime has a memory limit (default 16 MiB),
//! so a runaway function cannot hang the gateway. After a call runs out of time or memory the
//! engine is rebuilt from the source, so the next call starts clean.
//!
//! Not provided: the `cloudfront` and `crypto` modules (`require`/`import`) and KeyValueStore
//! helpers of cloudfront-js-2.0; a function using them fails with a `ReferenceError`.
//! `console.log` works: its lines are logged with `tracing` (target `wsflow_cloudfront_functions`) and
//! returned by [`CompiledFunction::invoke`].

#![warn(missing_docs)]

mod engine;
mod event;

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Duration;

pub use event::base64_decode;

/// A viewer request as CloudFront sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ViewerRequest {
    /// `GET` for a WebSocket handshake.
    pub method: String,
    /// The path only, without the query string, as the client sent it (still percent-encoded).
    pub uri: String,
    /// Query string parameters by name, values decoded as CloudFront gives them to functions
    /// (it passes them on as received).
    pub querystring: BTreeMap<String, Vec<String>>,
    /// Headers by lower-case name (CloudFront lower-cases header names in the event).
    pub headers: BTreeMap<String, Vec<String>>,
    /// Cookies by name.
    pub cookies: BTreeMap<String, Vec<String>>,
    /// `viewer.ip`.
    pub client_ip: String,
}

/// What the function decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeOutcome {
    /// It returned the request (possibly modified): send it on to the origin.
    Forward(ViewerRequest),
    /// It returned a response: answer the viewer with it, the origin is not called.
    Respond {
        /// The response's `statusCode` (100–599).
        status: u16,
        /// The response's `statusDescription`; `None` when it has none.
        status_description: Option<String>,
        /// Header name (lower case) → value; for a header with several values, the values
        /// joined with `, `.
        headers: BTreeMap<String, String>,
        /// The body as text (a `base64`-encoded body is decoded; invalid UTF-8 is replaced).
        body: Option<String>,
        /// `Set-Cookie` header values, one per cookie of the response's `cookies`.
        set_cookies: Vec<String>,
    },
}

/// The function threw, ran out of time or memory, returned something invalid, or did not
/// compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeError {
    /// What went wrong, naming the function.
    pub message: String,
}

impl std::fmt::Display for EdgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EdgeError {}

impl EdgeError {
    pub(crate) fn new(message: impl Into<String>) -> EdgeError {
        EdgeError {
            message: message.into(),
        }
    }
}

/// Limits and fixed event values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeOptions {
    /// Wall-clock budget of one call (and of evaluating the source at compile time).
    pub time_budget: Duration,
    /// Memory limit of the QuickJS runtime, in bytes.
    pub memory_limit: usize,
    /// `context.distributionDomainName` in the event.
    pub distribution_domain_name: String,
    /// `context.distributionId` in the event.
    pub distribution_id: String,
}

impl Default for EdgeOptions {
    fn default() -> Self {
        EdgeOptions {
            time_budget: Duration::from_millis(50),
            memory_limit: 16 * 1024 * 1024,
            distribution_domain_name: "localhost".into(),
            distribution_id: "ELOCAL0000000".into(),
        }
    }
}

/// One call's result with the function's `console.log` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// What the handler decided.
    pub outcome: EdgeOutcome,
    /// The lines the call printed with `console.log` (or `info`, `warn`, `error`), in order.
    pub logs: Vec<String>,
}

type Reply = mpsc::Sender<Result<Invocation, EdgeError>>;

/// A compiled CloudFront function.
///
/// Thread-safety: `CompiledFunction` is `Send + Sync` and cheap to share in an `Arc`. The QuickJS
/// runtime lives on one dedicated thread owned by this value; calls from any thread or task are
/// queued to it and run one at a time. A call blocks its caller until the function returns (at
/// most the time budget, 50 ms by default; a plain function takes a few microseconds), so async
/// callers may call it directly for handshakes or wrap it in `spawn_blocking`. Dropping the
/// value stops the thread.
pub struct CompiledFunction {
    name: String,
    jobs: mpsc::Sender<(ViewerRequest, Reply)>,
}

impl std::fmt::Debug for CompiledFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledFunction")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl CompiledFunction {
    /// Compiles `code` (which must define a global `function handler(event)`) with the default
    /// options. Syntax errors, errors thrown by top-level code and a missing `handler` are
    /// reported here.
    pub fn compile(name: &str, code: &str) -> Result<CompiledFunction, EdgeError> {
        CompiledFunction::compile_with(name, code, EdgeOptions::default())
    }

    /// Like [`CompiledFunction::compile`], with explicit limits and event values.
    pub fn compile_with(name: &str, code: &str, options: EdgeOptions) -> Result<CompiledFunction, EdgeError> {
        let (jobs, queue) = mpsc::channel::<(ViewerRequest, Reply)>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), EdgeError>>();
        let thread_name = format!("edge-fn-{name}");
        let source = code.to_owned();
        let function_name = name.to_owned();
        std::thread::Builder::new()
            .name(thread_name.chars().take(15).collect())
            .spawn(move || engine::run(function_name, source, options, ready_tx, queue))
            .map_err(|e| EdgeError::new(format!("{name}: cannot start the JS engine thread: {e}")))?;
        ready_rx
            .recv()
            .map_err(|_| EdgeError::new(format!("{name}: the JS engine thread stopped while compiling")))??;
        Ok(CompiledFunction {
            name: name.to_owned(),
            jobs,
        })
    }

    /// The name the function was compiled with (its CloudFront `Name`); it prefixes errors and
    /// names the engine thread.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs the handler on a viewer request.
    pub fn viewer_request(&self, request: &ViewerRequest) -> Result<EdgeOutcome, EdgeError> {
        self.invoke(request).map(|i| i.outcome)
    }

    /// Like [`CompiledFunction::viewer_request`], also returning the `console.log` lines.
    pub fn invoke(&self, request: &ViewerRequest) -> Result<Invocation, EdgeError> {
        let (reply, answer) = mpsc::channel();
        let stopped = || EdgeError::new(format!("{}: the JS engine thread stopped", self.name));
        self.jobs.send((request.clone(), reply)).map_err(|_| stopped())?;
        answer.recv().map_err(|_| stopped())?
    }
}
