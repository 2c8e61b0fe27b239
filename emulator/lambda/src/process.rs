//! A function run as a local process behind its own Lambda Runtime API
//! (`/2018-06-01/runtime/...`), the interface every runtime speaks: a custom runtime's
//! `bootstrap` (`lambda_runtime` included) and AWS's runtime interface clients alike. One
//! invocation at a time, as in one Lambda execution environment.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

use crate::runtime_api::RuntimeApi;
use crate::runtimes::Launch;

/// How to start one function's processes: what [`FunctionProcess::spawn`] runs.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// Used as `AWS_LAMBDA_FUNCTION_NAME` and as the prefix of every log line.
    pub name: String,
    /// What to run, and in which folder (see [`crate::runtimes`]).
    pub launch: Launch,
    /// The function's environment. The process gets only these, `AWS_LAMBDA_RUNTIME_API` and
    /// a few of the developer's (`PATH`, `HOME`, `RUST_LOG`, `RUST_BACKTRACE`).
    pub env: BTreeMap<String, String>,
    /// The function's `Timeout`: how long one invocation may run before it fails with
    /// [`InvokeError::Timeout`].
    pub timeout: Duration,
}

/// Why one invocation of a [`FunctionProcess`] produced no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvokeError {
    /// The handler reported an error (`/invocation/{id}/error`).
    #[error("function error {error_type}: {message}")]
    Function {
        /// `errorType` of the reported error.
        error_type: String,
        /// `errorMessage` of the reported error.
        message: String,
    },
    /// The runtime failed its initialisation (`/runtime/init/error`, `errorType: errorMessage`)
    /// or the process could not be started.
    #[error("function initialisation failed: {0}")]
    Init(String),
    /// The invocation ran longer than the function's timeout.
    #[error("function timed out after {0:?}")]
    Timeout(Duration),
    /// The process exited (its exit status), or its pool is stopping.
    #[error("function process exited: {0}")]
    Exited(String),
}

/// One Lambda execution environment: a running process of a function's binary, with the
/// Runtime API it polls for events. Dropping it kills the process.
pub struct FunctionProcess {
    spec: FunctionSpec,
    api: Arc<RuntimeApi>,
    child: Mutex<Child>,
    started: Instant,
    /// Serialises invocations: an execution environment runs one at a time.
    turn: Mutex<()>,
}

impl FunctionProcess {
    /// Serves a Runtime API on a free loopback port and starts the binary against it.
    pub async fn spawn(spec: FunctionSpec) -> anyhow::Result<FunctionProcess> {
        let api = RuntimeApi::serve(&spec.name).await?;
        let started = Instant::now();
        let launch = &spec.launch;
        let mut child = Command::new(&launch.program)
            .args(&launch.args)
            .current_dir(&launch.task_root)
            .env_clear()
            .envs(inherited_env())
            // What every runtime client requires; the spec's environment refines them.
            .env("AWS_LAMBDA_FUNCTION_NAME", &spec.name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .envs(&spec.env)
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting function {} ({})", spec.name, launch.program.display()))?;
        // One log stream per execution environment, as CloudWatch keeps them: the pid tells
        // apart the processes of one function.
        let stream = format!("{} {}", spec.name, child.id().unwrap_or_default());
        prefix_lines(&stream, child.stdout.take());
        prefix_lines(&stream, child.stderr.take());
        Ok(FunctionProcess {
            spec,
            api,
            child: Mutex::new(child),
            started,
            turn: Mutex::new(()),
        })
    }

    /// The function's name ([`FunctionSpec::name`]).
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Whether the process still runs. Only for a process between invocations (nothing else
    /// waits on it then); one busy with an invocation counts as running.
    pub fn runs(&self) -> bool {
        self.child
            .try_lock()
            .map_or(true, |mut child| matches!(child.try_wait(), Ok(None)))
    }

    /// Waits until the runtime first asks for work (its init is done); returns the time since
    /// spawn — the function's cold start.
    pub async fn ready(&self) -> Result<Duration, InvokeError> {
        tokio::select! {
            at = self.api.first_poll() => at.map(|at| at - self.started),
            status = self.exited() => Err(status),
        }
    }

    /// Sends one event and waits for the function's answer.
    pub async fn invoke(&self, event: &Value) -> Result<Value, InvokeError> {
        let _turn = self.turn.lock().await;
        let deadline = self.spec.timeout;
        let answer = self.api.dispatch(event, deadline);
        tokio::select! {
            answer = tokio::time::timeout(deadline, answer) => match answer {
                Ok(answer) => answer,
                Err(_) => Err(InvokeError::Timeout(deadline)),
            },
            status = self.exited() => Err(status),
        }
    }

    async fn exited(&self) -> InvokeError {
        let status = self.child.lock().await.wait().await;
        match (self.api.init_error(), status) {
            (Some(init), _) => InvokeError::Init(init),
            (None, Ok(status)) => InvokeError::Exited(status.to_string()),
            (None, Err(e)) => InvokeError::Exited(e.to_string()),
        }
    }
}

/// A Lambda environment does not inherit the developer's shell; only what the platform sets
/// (and what keeps local tooling working) passes through.
fn inherited_env() -> impl Iterator<Item = (String, String)> {
    const KEEP: [&str; 4] = ["PATH", "HOME", "RUST_BACKTRACE", "RUST_LOG"];
    std::env::vars().filter(|(k, _)| KEEP.contains(&k.as_str()))
}

fn prefix_lines(name: &str, stream: Option<impl AsyncRead + Unpin + Send + 'static>) {
    let Some(stream) = stream else { return };
    let name = name.to_owned();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("[{name}] {line}");
        }
    });
}
