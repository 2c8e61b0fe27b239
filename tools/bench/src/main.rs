//! `make bench`: measures the worker, the replay and the gateway; prints a table and writes
//! target/bench-report/.
//! Figures are ratios against baselines measured in the same run wherever one can be run.

mod cold_start;
mod gateway;
mod histogram;
mod measure;
mod peer;
mod processor;
mod replay;
mod report;

use clap::Parser;

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
    /// Messages in the dead-letter replay benchmark.
    #[arg(long, default_value_t = 2_000)]
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.serve_stub {
        return processor::serve_stub().await;
    }
    let mut report = report::Report::default();
    if args.only.contains(&Section::Worker) {
        processor::concurrency_gain(&mut report, &args).await?;
        processor::http_cost(&mut report, &args).await?;
        cold_start::run(&mut report, args.cold_starts).await?;
    }
    if args.only.contains(&Section::Replay) {
        replay::run(&mut report, args.replay_messages).await?;
    }
    if args.only.contains(&Section::Gateway) {
        gateway::run(&mut report).await?;
    }
    report.write()?;
    Ok(())
}
