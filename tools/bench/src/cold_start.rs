//! Cold start of the `queue-worker` binary: spawn to its first Runtime API `next`, with its
//! configuration read and its SDK clients built.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use wsflow_lambda::runtimes::Launch;
use wsflow_lambda::{FunctionProcess, FunctionSpec};

use crate::measure::percentile;
use crate::peer;
use wsflow_bench::report::Report;

fn worker_binary() -> anyhow::Result<PathBuf> {
    let binary = std::env::current_exe()?.with_file_name("queue-worker");
    anyhow::ensure!(
        binary.exists(),
        "{} missing: build it with `cargo build --release -p wsflow-queue-worker`",
        binary.display()
    );
    Ok(binary)
}

pub async fn run(report: &mut Report, runs: usize) -> anyhow::Result<()> {
    let binary = worker_binary()?;
    let env = [
        ("CONNECTIONS_TABLE", "c"),
        ("RESULTS_TABLE", "r"),
        ("IDEMPOTENCY_TABLE", "i"),
        ("DLQ_URL", "http://127.0.0.1:9/000000000000/dlq.fifo"),
        ("CALLBACK_URL", "http://127.0.0.1:9/api"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("RUST_LOG", "warn"),
    ];
    let mut starts = Vec::with_capacity(runs);
    for _ in 0..runs {
        let spec = FunctionSpec {
            name: "queue-worker".into(),
            launch: Launch::binary(binary.clone()),
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            timeout: Duration::from_secs(10),
        };
        let function = FunctionProcess::spawn(spec).await?;
        starts.push(function.ready().await.context("queue-worker did not start")?);
    }
    starts.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let section = "queue-worker cold init";
    report.add(section, "spawn -> first next, min", ms(starts[0]), "ms", "");
    report.add(
        section,
        "spawn -> first next, p50",
        ms(percentile(&starts, 50.0)),
        "ms",
        "target <= 10",
    );
    report.add(
        section,
        "spawn -> first next, max",
        ms(starts[starts.len() - 1]),
        "ms",
        "",
    );
    if let Some(python) = peer::powertools_cold_init_ms().await {
        report.add("peer (same run)", "Powertools worker cold init", python, "ms", "");
        report.add(
            "peer (same run)",
            "cold init ratio peer / wsflow p50",
            python / ms(percentile(&starts, 50.0)),
            "x",
            "",
        );
    }
    Ok(())
}
