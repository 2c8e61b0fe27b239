//! The moto server child process that is the AWS backend when no `--aws-endpoint` is given:
//! moto's own server, started from the venv's Python with the two AWS behaviours moto lacks
//! that local mode needs (`python/moto_server.py`: execution names, `apigateway:invoke` to the
//! local gateway).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// How long moto may take to listen: a cold Python start with moto's imports takes a few
/// seconds on a slow machine.
const STARTUP_LIMIT: Duration = Duration::from_secs(30);
/// Lines of moto's stderr kept to explain a failed start.
const KEPT_LINES: usize = 20;
const SERVER: &str = include_str!("../python/moto_server.py");
/// Starts on a free port tried before giving up.
const FREE_PORT_ATTEMPTS: u32 = 3;

/// A `moto_server` child process listening on 127.0.0.1, the local AWS backend. Dropping it
/// kills the process.
pub struct MotoServer {
    endpoint: String,
    child: Child,
}

impl MotoServer {
    /// Starts moto's server on `127.0.0.1:{port}` (0: a free port) with `python` (see
    /// [`venv_python`]) and waits until it listens. `apigateway:invoke` tasks of its workflows go
    /// to `gateway_http`. A child process cannot be handed a bound socket, so a port found free
    /// can be taken before moto binds it: for port 0 a failed start is retried on another.
    pub async fn start(python: &Path, port: u16, gateway_http: Option<&str>) -> anyhow::Result<MotoServer> {
        if port != 0 {
            return MotoServer::start_on(python, port, gateway_http).await;
        }
        let mut attempt = 1;
        loop {
            let free = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            match MotoServer::start_on(python, free, gateway_http).await {
                Err(_) if attempt < FREE_PORT_ATTEMPTS => attempt += 1,
                outcome => return outcome,
            }
        }
    }

    async fn start_on(python: &Path, port: u16, gateway_http: Option<&str>) -> anyhow::Result<MotoServer> {
        std::net::TcpListener::bind(("127.0.0.1", port))
            .map(drop)
            .with_context(|| {
                format!(
                    "port {port} is taken: stop what listens there, choose another with --backend-port, \
                 or use that backend with --aws-endpoint http://127.0.0.1:{port}"
                )
            })?;
        let mut command = Command::new(python);
        if let Some(gateway) = gateway_http {
            command.env("WSFLOW_GATEWAY_HTTP", gateway);
        }
        let mut child = command
            .args(["-c", SERVER, "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Its own process group: Ctrl-C in the terminal reaches only `wsflow dev`, which
            // then stops the functions before the backend they are still talking to.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting the moto server with {}", python.display()))?;
        let stderr = keep_tail(child.stderr.take());
        let mut server = MotoServer {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        };
        if let Err(e) = server.wait_listening(port).await {
            server.stop().await;
            let tail = stderr
                .lock()
                .expect("stderr tail lock")
                .iter()
                .cloned()
                .collect::<Vec<_>>();
            return Err(e.context(format!("moto server output:\n{}", tail.join("\n"))));
        }
        Ok(server)
    }

    /// `http://127.0.0.1:{port}`: the AWS endpoint URL of the server.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The server's process id; `None` once it has been reaped.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Kills the server and reaps it.
    pub async fn stop(&mut self) {
        if let Err(e) = self.child.kill().await {
            tracing::warn!("stopping the moto server: {e}");
        }
    }

    async fn wait_listening(&mut self, port: u16) -> anyhow::Result<()> {
        let deadline = Instant::now() + STARTUP_LIMIT;
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("the moto server exited at startup ({status})");
            }
            if Instant::now() > deadline {
                bail!("the moto server did not listen on port {port} within {STARTUP_LIMIT:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The Python of local mode's tools (moto, the SAM translator, awslambdaric, boto3):
/// `WSFLOW_PYTHON`, else the project venv's.
pub fn venv_python(project_root: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("WSFLOW_PYTHON") {
        return Ok(PathBuf::from(path));
    }
    let root = project_root.context(
        "no .venv found above the template, the working directory or wsflow itself: run \
         `make venv`, set WSFLOW_PYTHON, or give --aws-endpoint",
    )?;
    let python = root.join(".venv/bin/python3");
    if !python.is_file() {
        bail!("{} is missing: run `make venv`", python.display());
    }
    Ok(python)
}

/// Keeps the last lines of a stream (moto logs every request; only a failed start shows them).
fn keep_tail(stream: Option<impl AsyncRead + Unpin + Send + 'static>) -> Arc<Mutex<VecDeque<String>>> {
    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(KEPT_LINES)));
    if let Some(stream) = stream {
        let tail = tail.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut tail = tail.lock().expect("stderr tail lock");
                if tail.len() == KEPT_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
    }
    tail
}
