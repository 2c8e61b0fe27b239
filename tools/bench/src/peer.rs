//! Baselines from the reference peers in ../shared/peers, run in the same benchmark run when
//! they are installed (their own setup scripts install them outside this repository).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::processes::Guard;

pub struct PeerCost {
    pub wall_us: f64,
    pub cpu_us: f64,
}

fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/peers")
}

/// Where the peers' setup scripts install them.
fn peers_work() -> PathBuf {
    PathBuf::from(std::env::var("PEERS_WORK").unwrap_or_else(|_| "/tmp/peers-work".into()))
}

fn peer_python() -> PathBuf {
    peers_work().join("pt-venv/bin/python")
}

/// The one line printed (and kept in the report) for a peer that is not installed.
pub fn missing(peer: &str, install: &str) -> String {
    let line = format!("{peer} not installed, skipped: install it with `{install}`");
    eprintln!("{line}");
    line
}

/// A WebSocket echo server of the peers, running; stopped with its process tree when dropped.
pub struct EchoServer {
    pub url: String,
    _process: Guard<tokio::process::Child>,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `wsecho`, the raw tokio-tungstenite echo server: the upper bound.
pub async fn wsecho(binary: &Path) -> anyhow::Result<EchoServer> {
    let port = free_port()?;
    let child = Command::new(binary)
        .args(["--port", &port.to_string()])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let server = EchoServer {
        url: format!("ws://127.0.0.1:{port}"),
        _process: Guard::child(child),
    };
    crate::gateway::wait_listening(port).await?;
    Ok(server)
}

/// The serverless-offline echo peer with `--useInProcess` (its fastest mode), started by its
/// own run.sh; `None` when its setup.sh has not installed it.
pub async fn serverless_offline() -> Option<anyhow::Result<EchoServer>> {
    let run = peers_dir().join("serverless-offline-echo/run.sh");
    let installed = peers_work().join("sls/node_modules/.bin/serverless").exists();
    if !(run.exists() && installed) {
        return None;
    }
    Some(start_serverless_offline(run).await)
}

async fn start_serverless_offline(run: PathBuf) -> anyhow::Result<EchoServer> {
    let port = free_port()?;
    let mut child = Command::new(&run)
        .args([&port.to_string(), "--useInProcess"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", run.display()))?;
    let mut lines = BufReader::new(child.stdout.take().context("run.sh stdout")?).lines();
    let server = EchoServer {
        url: format!("ws://127.0.0.1:{port}"),
        _process: Guard::child(child),
    };
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            if line.starts_with("READY ") {
                return anyhow::Ok(());
            }
        }
        anyhow::bail!("serverless offline exited before READY")
    })
    .await
    .context("serverless offline did not start in 60 s")??;
    // It logs every invocation: keep reading, or a full pipe would stall it.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(server)
}

/// The Powertools worker's in-process run over the same workload shape.
pub async fn powertools_inproc(jobs: usize, groups: usize) -> Option<PeerCost> {
    let run = drive(&[
        "inproc",
        "--jobs",
        &jobs.to_string(),
        "--groups",
        &groups.to_string(),
    ])
    .await?;
    Some(PeerCost {
        wall_us: run["wall_us_per_msg"].as_f64()?,
        cpu_us: run["cpu_us_per_msg"].as_f64()?,
    })
}

/// The Python worker's cold init (spawn to first Runtime API `next`), in milliseconds.
pub async fn powertools_cold_init_ms() -> Option<f64> {
    let run = drive(&["runtime", "--jobs", "100", "--groups", "10"]).await?;
    run["cold_init_ms"].as_f64()
}

async fn drive(args: &[&str]) -> Option<Value> {
    let python = peer_python();
    let script = peers_dir().join("powertools-fifo/drive.py");
    if !python.exists() || !script.exists() {
        return None;
    }
    let output = tokio::process::Command::new(python)
        .arg(&script)
        .args(args)
        .args(["--batch", "10", "--runs", "1", "--json"])
        .current_dir(script.parent()?)
        .output()
        .await
        .ok()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: Value = serde_json::from_str(stdout.lines().last()?).ok()?;
    summary["runs"].get(0).cloned()
}

/// `wsload` and `wsecho`, built as ../shared/peers/README.md says (into `$PEERS_WORK/target`).
pub fn wsload() -> Option<(PathBuf, PathBuf)> {
    let release = peers_work().join("target/release");
    let (wsload, wsecho) = (release.join("wsload"), release.join("wsecho"));
    (wsload.exists() && wsecho.exists()).then_some((wsload, wsecho))
}
