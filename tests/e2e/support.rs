//! Harness for the end-to-end tests: `wsflow dev` as a child process on free ports, the SDK
//! pointed at its backend, and a WebSocket client.
//!
//! [`Dev::start`] (or [`Dev::start_template`] for another synthesized template) runs the
//! `wsflow` binary built next to the tests and waits for its `READY` line; the [`Dev`] then
//! gives the gateway's URLs ([`Dev::ws_url`], [`Dev::management`]), an SDK configuration for
//! its backend ([`Dev::sdk`]) and the names the stack gave its tables and queues. Tests
//! connect as [`USER`] ([`Dev::connect`], with a token from `wsflow token`) or with any
//! headers ([`connect_with`]), then read frames with [`next_json`] and [`until`], each
//! waiting at most [`WAIT`]. [`Dev::stop`] sends SIGINT and checks a clean exit.

#![warn(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use aws_config::SdkConfig;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::OnceCell;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A WebSocket client connection to the local gateway.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for a frame or a condition ([`next_json`], [`eventually`]).
pub const WAIT: Duration = Duration::from_secs(30);

/// The repository root, where the templates (`build/`) and `.venv/` are; `wsflow dev` runs
/// there.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where cargo put the running executable's sibling binaries (`wsflow`, `queue-worker`, …):
/// a test runs from `target/{profile}/deps`, a binary from `target/{profile}`.
pub fn binaries() -> PathBuf {
    let exe = std::env::current_exe().expect("the running executable");
    let dir = exe.parent().expect("its directory");
    if dir.ends_with("deps") {
        dir.parent().expect("the profile directory").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// The gateway's port, from the banner's `WebSocket     ws://127.0.0.1:{port}` line.
fn banner_port(lines: &[String]) -> anyhow::Result<u16> {
    let url = banner_value(lines, "WebSocket")?;
    url_port(&url).with_context(|| format!("no port in the banner's WebSocket URL {url}"))
}

/// The port of the direct entrance, from the banner's `execute-api   ws://127.0.0.1:{port}/…`
/// line, which it has when a CloudFront distribution fronts the API.
fn banner_execute_api_port(lines: &[String]) -> Option<u16> {
    url_port(&banner_value(lines, "execute-api").ok()?)
}

/// The port of `scheme://host:port[/path]`.
fn url_port(url: &str) -> Option<u16> {
    let authority = url.split("://").nth(1)?.split('/').next()?;
    authority.rsplit(':').next()?.parse().ok()
}

/// The backend's URL, from the banner's `Backend       http://127.0.0.1:{port} (…)` line.
fn banner_backend(lines: &[String]) -> anyhow::Result<String> {
    banner_value(lines, "Backend")
}

fn banner_value(lines: &[String], label: &str) -> anyhow::Result<String> {
    lines
        .iter()
        .find_map(|line| {
            let rest = line.trim_start().strip_prefix(label)?;
            rest.starts_with(' ')
                .then(|| rest.split_whitespace().next().map(str::to_owned))?
        })
        .with_context(|| format!("the banner has no {label} line: {lines:?}"))
}

/// The user the tests connect as.
pub const USER: &str = "e2e-user";

/// `wsflow dev` on a synthesized template (`make synth` writes them).
pub struct Dev {
    child: Child,
    /// Port of the gateway (WebSocket and `@connections`) on 127.0.0.1: the entrance clients
    /// use (the CloudFront one, when a distribution fronts the API).
    pub port: u16,
    /// Port of the direct `execute-api` entrance, when a distribution fronts the API.
    pub execute_api_port: Option<u16>,
    /// `http://127.0.0.1:{port}` of the moto server `wsflow dev` started.
    pub backend: String,
    /// `wsflow dev`'s standard output so far, one entry a line (still collected after `READY`).
    pub output: Arc<Mutex<Vec<String>>>,
    /// Its standard error (its log and the functions'), one entry a line; also echoed to the
    /// test's own standard error. Empty when quiet.
    pub log: Arc<Mutex<Vec<String>>>,
    token: OnceCell<String>,
}

impl Dev {
    /// The default template: `$connect` requires a token, API keys are off.
    pub async fn start() -> anyhow::Result<Dev> {
        Dev::start_template("build/template.json").await
    }

    /// `relative` to the repository root, e.g. `build/template-api-keys.json`.
    pub async fn start_template(relative: &str) -> anyhow::Result<Dev> {
        Dev::launch(&repo_root().join(relative), false).await
    }

    /// `quiet`: function logs and `wsflow dev`'s own go nowhere (benchmarks).
    pub async fn launch(template: &Path, quiet: bool) -> anyhow::Result<Dev> {
        Dev::launch_with(template, quiet, &[]).await
    }

    /// With more `wsflow dev` arguments (e.g. `--parameter-overrides`). The ports are picked
    /// by `wsflow dev` itself (port 0) and read from its banner, so parallel tests cannot race
    /// for a port between choosing and binding it.
    pub async fn launch_with(template: &Path, quiet: bool, args: &[&str]) -> anyhow::Result<Dev> {
        Dev::spawn(template, quiet, &[&["--backend-port", "0"], args].concat()).await
    }

    /// On a backend already running at `endpoint` (`--aws-endpoint`) instead of a moto server of
    /// its own: a fault proxy in front of moto, say.
    pub async fn launch_on(
        template: &Path,
        quiet: bool,
        endpoint: &str,
        args: &[&str],
    ) -> anyhow::Result<Dev> {
        Dev::spawn(template, quiet, &[&["--aws-endpoint", endpoint], args].concat()).await
    }

    async fn spawn(template: &Path, quiet: bool, args: &[&str]) -> anyhow::Result<Dev> {
        anyhow::ensure!(
            template.exists(),
            "{} is missing: run `make synth`",
            template.display()
        );
        let wsflow = binaries().join("wsflow");
        anyhow::ensure!(
            wsflow.exists(),
            "{} is missing: run `cargo build --workspace --bins`",
            wsflow.display()
        );
        let mut command = Command::new(&wsflow);
        command
            .arg("dev")
            .arg("--template")
            .arg(template)
            .args(["--port", "0"])
            .args(args)
            .current_dir(repo_root())
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        if quiet {
            command.env("RUST_LOG", "error").stderr(Stdio::null());
        } else {
            command.stderr(Stdio::piped());
        }
        let mut child = command.spawn().context("starting wsflow dev")?;
        let log = Arc::new(Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            let log = log.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    eprintln!("{line}");
                    log.lock().unwrap().push(line);
                }
            });
        }
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(90), async {
            while let Some(line) = lines.next_line().await? {
                output.lock().unwrap().push(line.clone());
                if line.trim() == "READY" {
                    return Ok(());
                }
            }
            bail!("wsflow dev exited before READY: {:?}", output.lock().unwrap())
        })
        .await
        .context("wsflow dev did not become ready")?;
        ready?;
        let keep = output.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                keep.lock().unwrap().push(line);
            }
        });
        let (port, execute_api_port, backend) = {
            let lines = output.lock().unwrap();
            (
                banner_port(&lines)?,
                banner_execute_api_port(&lines),
                banner_backend(&lines)?,
            )
        };
        Ok(Dev {
            child,
            port,
            execute_api_port,
            backend,
            output,
            log,
            token: OnceCell::new(),
        })
    }

    /// The process id of `wsflow dev`; 0 once it has exited.
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or_default()
    }

    /// A bearer token for [`USER`] from `wsflow token`, minted once.
    pub async fn token(&self) -> anyhow::Result<&str> {
        let token = self
            .token
            .get_or_try_init(|| mint_token(&self.backend, USER, "1h"))
            .await?;
        Ok(token)
    }

    /// `ws://127.0.0.1:{port}{path_and_query}`; `path_and_query` starts with `/` (or is empty).
    pub fn ws_url(&self, path_and_query: &str) -> String {
        format!("ws://127.0.0.1:{}{path_and_query}", self.port)
    }

    /// Connects as [`USER`] with `Authorization: Bearer …`.
    pub async fn connect(&self, path_and_query: &str) -> anyhow::Result<Socket> {
        let bearer = format!("Bearer {}", self.token().await?);
        Ok(connect_with(&self.ws_url(path_and_query), &[("authorization", &bearer)]).await?)
    }

    /// SDK configuration for the backend (region `us-east-1`, test credentials).
    pub async fn sdk(&self) -> SdkConfig {
        wsflow_dev::local_sdk_config(&self.backend, "us-east-1").await
    }

    /// The `@connections` endpoint of the stage, for the management SDK.
    pub async fn management(&self, stage: &str) -> aws_sdk_apigatewaymanagement::Client {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(&self.sdk().await)
            .endpoint_url(format!("http://127.0.0.1:{}/{stage}", self.port))
            .build();
        aws_sdk_apigatewaymanagement::Client::from_conf(config)
    }

    /// The table whose name contains `fragment`, as the stack named it; panics when there is
    /// none.
    pub async fn table(&self, fragment: &str) -> String {
        let tables = aws_sdk_dynamodb::Client::new(&self.sdk().await)
            .list_tables()
            .send()
            .await
            .unwrap();
        let names = tables.table_names.unwrap_or_default();
        names
            .into_iter()
            .find(|n| n.contains(fragment))
            .unwrap_or_else(|| panic!("no table like {fragment}"))
    }

    /// The `$connect` record of connection `id` in the connections `table`, read consistently.
    pub async fn connection_record(
        &self,
        table: &str,
        id: &str,
    ) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        use aws_sdk_dynamodb::types::AttributeValue;
        aws_sdk_dynamodb::Client::new(&self.sdk().await)
            .get_item()
            .table_name(table)
            .key("connectionId", AttributeValue::S(id.into()))
            .key("sk", AttributeValue::S("conn".into()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
    }

    /// The URL of the queue whose URL contains `fragment`; panics when there is none.
    pub async fn queue(&self, fragment: &str) -> String {
        let out = aws_sdk_sqs::Client::new(&self.sdk().await)
            .list_queues()
            .send()
            .await
            .unwrap();
        let urls = out.queue_urls.unwrap_or_default();
        urls.into_iter()
            .find(|u| u.contains(fragment))
            .unwrap_or_else(|| panic!("no queue like {fragment}"))
    }

    /// Stops it as Ctrl-C would; fails if it does not exit cleanly.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let pid = self.child.id().context("already exited")?;
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        unsafe { libc::kill(pid as i32, libc::SIGINT) };
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await??;
        anyhow::ensure!(status.success(), "wsflow dev exited with {status}");
        Ok(())
    }
}

/// Connects with extra handshake headers; a refused handshake is an `Http` error whose
/// response carries the status.
pub async fn connect_with(
    url: &str,
    headers: &[(&str, &str)],
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = url.into_client_request()?;
    for (name, value) in headers {
        let value = HeaderValue::from_str(value).expect("a valid header value");
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a valid header name");
        request.headers_mut().insert(name, value);
    }
    let (socket, _) = tokio_tungstenite::connect_async(request).await?;
    Ok(socket)
}

/// The HTTP status a refused handshake answered with.
pub fn refusal_status(result: Result<Socket, tokio_tungstenite::tungstenite::Error>) -> u16 {
    match result {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("expected the handshake to be refused, it was accepted"),
    }
}

/// `wsflow token --sub … --ttl …` against the backend holding the stack's signing secret.
pub async fn mint_token(backend: &str, sub: &str, ttl: &str) -> anyhow::Result<String> {
    let output = Command::new(binaries().join("wsflow"))
        .args(["--endpoint-url", backend, "token", "--sub", sub, "--ttl", ttl])
        .output()
        .await
        .context("running wsflow token")?;
    anyhow::ensure!(
        output.status.success(),
        "wsflow token failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// Sends `text` as one text frame; panics when the socket is closed.
pub async fn send(socket: &mut Socket, text: &str) {
    socket.send(Message::Text(text.into())).await.unwrap();
}

/// The next text frame, parsed as JSON (a non-JSON frame becomes a JSON string).
pub async fn next_json(socket: &mut Socket) -> anyhow::Result<Value> {
    loop {
        let frame = tokio::time::timeout(WAIT, socket.next())
            .await
            .context("no frame in time")?
            .context("socket closed")??;
        if let Message::Text(text) = frame {
            return Ok(serde_json::from_str(&text).unwrap_or(Value::String(text.to_string())));
        }
    }
}

/// Frames until one satisfies `want`; the others are returned too, in order.
pub async fn until(
    socket: &mut Socket,
    want: impl Fn(&Value) -> bool,
) -> anyhow::Result<(Value, Vec<Value>)> {
    let mut before = Vec::new();
    loop {
        let frame = next_json(socket).await?;
        if want(&frame) {
            return Ok((frame, before));
        }
        before.push(frame);
    }
}

/// Polls `condition` every 20 ms until it holds or `WAIT` passes.
pub async fn eventually<F, Fut>(what: &str, mut condition: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !condition().await {
        if tokio::time::Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}
