//! Baselines from the reference peers in ../shared/peers, run in the same benchmark run when
//! they are installed (their own setup scripts install them outside this repository).

use std::path::PathBuf;

use serde_json::Value;

pub struct PeerCost {
    pub wall_us: f64,
    pub cpu_us: f64,
}

fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/peers")
}

fn peer_python() -> PathBuf {
    let work = std::env::var("PEERS_WORK").unwrap_or_else(|_| "/tmp/peers-work".into());
    PathBuf::from(work).join("pt-venv/bin/python")
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
    let work = std::env::var("PEERS_WORK").unwrap_or_else(|_| "/tmp/peers-work".into());
    let release = PathBuf::from(work).join("target/release");
    let (wsload, wsecho) = (release.join("wsload"), release.join("wsecho"));
    (wsload.exists() && wsecho.exists()).then_some((wsload, wsecho))
}
