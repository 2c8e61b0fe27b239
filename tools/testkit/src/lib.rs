//! Real components for tests and benchmarks: a real AWS backend (moto), the project's real
//! binaries, and a stub only where AWS cannot run locally (`@connections`). Servers listen on
//! free loopback ports, so tests do not collide.
//!
//! - [`Moto`]: a moto server, the local AWS backend local mode uses, killed when dropped, with
//!   an SDK configuration pointing at it ([`Moto::sdk_config`]).
//! - [`ConnectionsStub`]: an HTTP stub of API Gateway's `@connections` API that records what
//!   the worker posts and can answer 410 (`GoneException`) or 500 for chosen connections; it
//!   serves until the runtime stops.
//! - [`FaultProxy`]: a loopback HTTP proxy in front of a backend that adds latency, answers
//!   500/503/throttling errors, resets connections, or drops the answer of a request the backend
//!   applied, by rule ([`Fault`]).
//! - [`WorkerResources`]: the worker's queues and tables, created on a backend with the
//!   stack's shapes, and the worker environment naming them ([`WorkerResources::worker_env`]);
//!   [`fixtures::queue_depth`] reads a queue's counts.
//! - [`processes`]: the project's real binaries run against the backend: a Lambda function
//!   behind a local Runtime API ([`processes::function`]) or a command-line tool
//!   ([`processes::command`]).
//! - [`procfs`]: the children and descendants of a process, and whether one still runs.
//! - [`eventually`] polls a condition until a timeout, for assertions on asynchronous effects.

#![warn(missing_docs)]

pub mod connections_stub;
pub mod fault_proxy;
pub mod fixtures;
pub mod moto;
pub mod processes;
pub mod procfs;

pub use connections_stub::ConnectionsStub;
pub use fault_proxy::{Fault, FaultKind, FaultProxy};
pub use fixtures::WorkerResources;
pub use moto::Moto;

use std::future::Future;
use std::time::{Duration, Instant};

/// Awaits `condition` by polling it every 20 ms, failing after `timeout` with `what`.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut condition: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !condition().await {
        if Instant::now() > deadline {
            anyhow::bail!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// The repository root, where `.venv/` lives.
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
