//! A small pool of processes of one function. A process is one Lambda execution environment
//! and serves one invocation at a time, so concurrent invocations need several.

use std::sync::Mutex;
use std::time::Duration;

use crate::{FunctionProcess, FunctionSpec, InvokeError};
use serde_json::Value;
use tokio::sync::Semaphore;

/// Lambda's limit for a function's initialisation.
const INIT_LIMIT: Duration = Duration::from_secs(10);

/// Up to `size` processes of one function, started on demand and reused between invocations.
pub struct Pool {
    spec: FunctionSpec,
    /// Started processes waiting for work.
    idle: Mutex<Vec<FunctionProcess>>,
    /// One permit per process the pool may run; closed when the pool stops.
    slots: Semaphore,
}

impl Pool {
    /// A pool of at most `size` processes of `spec`, none started yet (see [`Pool::warm`]).
    pub fn new(spec: FunctionSpec, size: usize) -> Pool {
        Pool {
            spec,
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(size),
        }
    }

    /// Starts one process ahead of the first invocation, so a function that cannot start is
    /// reported at startup. Returns its cold start.
    pub async fn warm(&self) -> Result<Duration, String> {
        let (process, cold_start) = self.start().await?;
        self.idle.lock().expect("pool lock").push(process);
        Ok(cold_start)
    }

    /// Runs `event` on an idle process that still runs, else on a new one while the pool has
    /// room, else waits.
    /// A process that failed the invocation for a reason other than its handler's error (it
    /// exited, timed out or did not start) is dropped, which kills it; the next invocation
    /// starts a fresh one in its place.
    pub async fn invoke(&self, event: &Value) -> Result<Value, InvokeError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| InvokeError::Exited(format!("function {} is stopping", self.spec.name)))?;
        let process = match self.take_idle() {
            Some(process) => process,
            None => self.start().await.map_err(InvokeError::Init)?.0,
        };
        let outcome = process.invoke(event).await;
        let reusable = matches!(outcome, Ok(_) | Err(InvokeError::Function { .. }));
        if reusable && !self.slots.is_closed() {
            self.idle.lock().expect("pool lock").push(process);
        }
        outcome
    }

    /// An idle process that still runs. One that ended between invocations (killed, crashed)
    /// is dropped: Lambda replaces an execution environment that is gone instead of handing it
    /// the next event, which would fail that invocation for nothing the event did.
    fn take_idle(&self) -> Option<FunctionProcess> {
        let mut idle = self.idle.lock().expect("pool lock");
        while let Some(process) = idle.pop() {
            if process.runs() {
                return Some(process);
            }
            tracing::info!(function = %self.spec.name, "an idle process ended; starting a fresh one");
        }
        None
    }

    /// Refuses further invocations and kills the idle processes; a process busy with an
    /// invocation is killed when that invocation ends.
    pub fn stop(&self) {
        self.slots.close();
        self.idle.lock().expect("pool lock").clear();
    }

    async fn start(&self) -> Result<(FunctionProcess, Duration), String> {
        let name = &self.spec.name;
        let process = FunctionProcess::spawn(self.spec.clone())
            .await
            .map_err(|e| format!("{e:#}"))?;
        match tokio::time::timeout(INIT_LIMIT, process.ready()).await {
            Ok(Ok(cold_start)) => Ok((process, cold_start)),
            Ok(Err(e)) => Err(format!("function {name} did not start: {e}")),
            Err(_) => Err(format!("function {name} did not start within {INIT_LIMIT:?}")),
        }
    }
}
