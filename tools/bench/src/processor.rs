//! The batch processor: concurrency gain with simulated I/O, and the cost per job with real
//! HTTP posts to a loopback `@connections` stub in another process.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use wsflow_core::memory::MemoryBackend;
use wsflow_core::{BatchProcessor, HandlerConfig, Job, JobHandler, Ports, Record, RetryPolicy, Source, Task};

use crate::measure::{cost, percentile, Cost};
use crate::processes::Guard;
use crate::{peer, Args};
use wsflow_bench::report::Report;

/// The Lambda batch size for FIFO queues.
const BATCH: usize = 10;
/// A FIFO Lambda batch holds at most 10 messages, so at most 10 groups: all run at once.
const GROUP_CONCURRENCY: usize = 10;

/// `jobs` notify jobs, groups assigned round-robin, each job for its own connection (as the
/// peer workload does).
fn workload(jobs: usize, groups: usize) -> Vec<Record> {
    (0..jobs)
        .map(|i| {
            let connection = format!("Cg{i:012}=");
            let request = format!("req-{i:08}");
            let data = json!({ "seq": i, "text": "x".repeat(32) });
            Record {
                message_id: format!("m-{i}"),
                group_id: Some(format!("group-{}", i % groups)),
                dedup_id: Some(request.clone()),
                receive_count: 1,
                body: Job::new(&connection, &request, Task::Notify, data, Source::Route).to_body(),
                attributes: Default::default(),
            }
        })
        .collect()
}

fn processor(ports: Ports, group_concurrency: usize) -> BatchProcessor {
    let config = HandlerConfig {
        retry: RetryPolicy::none(),
        ..HandlerConfig::default()
    };
    BatchProcessor::new(JobHandler::new(ports, config), group_concurrency)
}

/// Runs `records` in Lambda-sized batches; returns the cost and each batch's latency.
async fn run_batches(
    processor: &BatchProcessor,
    records: &[Record],
) -> anyhow::Result<(Cost, Vec<Duration>)> {
    let mut latencies = Vec::with_capacity(records.len() / BATCH + 1);
    let (failed, total) = cost(async {
        let mut failed = 0;
        for batch in records.chunks(BATCH) {
            let (f, c) = cost(processor.process(batch, None)).await;
            failed += f.len();
            latencies.push(c.wall);
        }
        failed
    })
    .await;
    anyhow::ensure!(
        failed == 0,
        "{failed} jobs failed in a benchmark that injects no failure"
    );
    latencies.sort_unstable();
    Ok((total, latencies))
}

pub async fn concurrency_gain(report: &mut Report, args: &Args) -> anyhow::Result<()> {
    let latency = Duration::from_millis(args.latency_ms);
    let section = format!("in-memory, {}ms I/O", args.latency_ms);
    let cases = [
        ("10-message batch x100", workload(BATCH * 100, BATCH)),
        ("10k jobs / 100 groups", workload(args.jobs, args.groups)),
    ];
    for (label, records) in cases {
        let mut walls = Vec::new();
        for concurrency in [GROUP_CONCURRENCY, 1] {
            let backend = Arc::new(MemoryBackend::with_latency(latency));
            let (total, batches) = run_batches(&processor(backend.ports(), concurrency), &records).await?;
            let (wall_us, _) = total.per(records.len());
            let mode = if concurrency == 1 {
                "sequential"
            } else {
                "groups concurrent"
            };
            report.add(&section, &format!("{label}: {mode} wall/msg"), wall_us, "us", "");
            report.add(
                &section,
                &format!("{label}: {mode} batch p50"),
                ms(percentile(&batches, 50.0)),
                "ms",
                "",
            );
            walls.push(total.wall);
        }
        let gain = walls[1].as_secs_f64() / walls[0].as_secs_f64();
        report.add(
            &section,
            &format!("{label}: concurrency gain"),
            gain,
            "x",
            "sequential / concurrent, same jobs",
        );
    }
    Ok(())
}

pub async fn http_cost(report: &mut Report, args: &Args) -> anyhow::Result<()> {
    let (_stub, url) = spawn_stub().await?;
    // The worker binary's SDK settings (no SDK retries, its per-attempt timeout), aimed at the stub.
    let sdk = wsflow_aws::sdk::loader(wsflow_aws::sdk::Retries::Caller)
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&url)
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "bench", "bench", None, None, "bench",
        ))
        .load()
        .await;
    let api: Arc<dyn wsflow_core::ports::ConnectionApi> =
        Arc::new(wsflow_aws::connections_client::ConnectionsClient::new(&sdk, &url));
    // Fresh stores per run: a shared idempotency store would skip the second run's jobs.
    let ports = || {
        let mut ports = Arc::new(MemoryBackend::default()).ports();
        ports.api = api.clone();
        ports
    };
    let section = "real HTTP posts";
    run_batches(
        &processor(ports(), GROUP_CONCURRENCY),
        &workload(500, args.groups),
    )
    .await?;
    let records = workload(args.jobs, args.groups);
    let mut cpu_per_msg = 0.0;
    for concurrency in [GROUP_CONCURRENCY, 1] {
        let (total, _) = run_batches(&processor(ports(), concurrency), &records).await?;
        let (wall_us, cpu_us) = total.per(records.len());
        let mode = if concurrency == 1 {
            "sequential"
        } else {
            "groups concurrent"
        };
        report.add(
            section,
            &format!("notify job, {mode}: wall/msg"),
            wall_us,
            "us",
            "",
        );
        report.add(
            section,
            &format!("notify job, {mode}: worker CPU/msg"),
            cpu_us,
            "us",
            if concurrency == 1 { "" } else { "target <= 40" },
        );
        report.add(
            section,
            &format!("notify job, {mode}: throughput"),
            1e6 / wall_us,
            "msg/s",
            "",
        );
        cpu_per_msg = cpu_us;
    }
    match peer::powertools_inproc(args.jobs, args.groups).await {
        Some(py) => {
            report.add(
                "peer (same run)",
                "Powertools FIFO worker: wall/msg",
                py.wall_us,
                "us",
                "sequential",
            );
            report.add(
                "peer (same run)",
                "Powertools FIFO worker: CPU/msg",
                py.cpu_us,
                "us",
                "",
            );
            report.add(
                "peer (same run)",
                "CPU/msg ratio peer / wsflow (sequential)",
                py.cpu_us / cpu_per_msg,
                "x",
                "",
            );
        }
        None => report.add(
            "peer (same run)",
            "Powertools FIFO worker",
            f64::NAN,
            "",
            &peer::missing(
                "Powertools FIFO worker",
                "../shared/peers/powertools-fifo/setup.sh",
            ),
        ),
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Starts this binary again as the `@connections` stub, so its CPU is not counted as ours.
async fn spawn_stub() -> anyhow::Result<(Guard<tokio::process::Child>, String)> {
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("--serve-stub")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().context("stub stdout")?;
    let line = BufReader::new(stdout)
        .lines()
        .next_line()
        .await?
        .context("stub said nothing")?;
    let url = line
        .strip_prefix("STUB ")
        .context("stub announcement")?
        .to_owned();
    Ok((Guard::child(child), url))
}

pub async fn serve_stub() -> anyhow::Result<()> {
    let stub = wsflow_testkit::ConnectionsStub::start().await?;
    println!("STUB {}", stub.url());
    std::future::pending::<()>().await;
    Ok(())
}
