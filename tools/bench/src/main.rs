//! `make bench`: measures the worker, the replay and the gateway; prints a table and writes
//! target/bench-report/.
//! Figures are ratios against baselines measured in the same run wherever one can be run.

mod cold_start;
mod gateway;
mod measure;
mod peer;
mod processes;
mod processor;
mod replay;

use clap::Parser;
use wsflow_bench::report::Report;

#[derive(Parser)]
#[command(about = "wsflow benchmarks (not tests): numbers and a report under target/bench-report/")]
struct Args {
    /// Jobs in the large workload.
    #[arg(long, default_value_t = 10_000)]
    jobs: usize,
    /// Message groups in the large workload.
    #[arg(long, default_value_t = 100)]
    groups: usize,
    /// Simulated latency of each in-memory port call, in milliseconds.
    #[arg(long, default_value_t = 1)]
    latency_ms: u64,
    /// Cold starts to time.
    #[arg(long, default_value_t = 20)]
    cold_starts: usize,
    /// Messages in the dead-letter replay benchmark, at each round-trip time.
    #[arg(long, default_value_t = 1_000)]
    replay_messages: usize,
    /// Which benchmarks to run.
    #[arg(long, value_delimiter = ',', default_value = "worker,replay,gateway")]
    only: Vec<Section>,
    /// Serve the @connections stub in this process (used by the benchmark itself).
    #[arg(long, hide = true)]
    serve_stub: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Section {
    Worker,
    Replay,
    Gateway,
}

// The worker's processor runs in this process: with the worker binary's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.serve_stub {
        return processor::serve_stub().await;
    }
    processes::install()?;
    let _teardown = processes::Teardown;
    let mut report = Report::default();
    // The report is written even when a part fails: with what was measured up to then.
    let outcome = run(&args, &mut report).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-report");
    report.write(&dir)?;
    outcome
}

async fn run(args: &Args, report: &mut Report) -> anyhow::Result<()> {
    if args.only.contains(&Section::Worker) {
        processor::concurrency_gain(report, args).await?;
        processor::http_cost(report, args).await?;
        cold_start::run(report, args.cold_starts).await?;
    }
    if args.only.contains(&Section::Replay) {
        replay::run(report, args.replay_messages).await?;
    }
    if args.only.contains(&Section::Gateway) {
        gateway::run(report).await?;
    }
    Ok(())
}
