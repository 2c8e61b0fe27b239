//! Real components for tests and benchmarks: a moto server (the local AWS backend) started on a
//! free port, an HTTP stub of the `@connections` API, and the worker's queues and tables.

#![warn(missing_docs)]

pub mod connections_stub;
pub mod fixtures;
pub mod moto;
pub mod processes;

pub use connections_stub::ConnectionsStub;
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
