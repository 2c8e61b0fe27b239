//! `make chaos`: pushes jobs through `wsflow dev` (real WebSocket clients, the real gateway,
//! queue worker and CLI, moto behind a fault proxy) while it SIGKILLs worker processes, injects
//! backend faults, forces jobs into the dead-letter queue with an outage, and SIGKILLs a
//! `wsflow dlq replay` mid-run before running it again. Then it checks what every client
//! received and what the tables and queues hold, prints the tally and fails on any loss,
//! duplicated effect or reordering.

mod clients;
mod monkey;
mod template;
mod verdict;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use wsflow_e2e::Dev;
use wsflow_testkit::{Fault, FaultKind, FaultProxy, Moto};

#[derive(Parser)]
#[command(about = "Delivery guarantees under faults: jobs through wsflow dev while things break")]
pub struct Args {
    /// Jobs in all.
    #[arg(long, default_value_t = 5_000)]
    jobs: usize,
    /// Message groups: one WebSocket client each.
    #[arg(long, default_value_t = 50)]
    groups: usize,
    /// Share of the worker's backend calls that fail (500, throttling, reset, lost answer).
    #[arg(long, default_value_t = 0.02)]
    fault_rate: f64,
    /// Answers between SIGKILLs of a random worker process (each at a random moment of the
    /// second after).
    #[arg(long, default_value_t = 20)]
    kill_every: usize,
    /// Seconds of a DynamoDB outage (every write fails) in mid-run, long enough for SQS' redrive
    /// to move stuck jobs to the DLQ.
    #[arg(long, default_value_t = 45)]
    outage_seconds: u64,
    /// How long the whole run may take before what is missing counts as lost.
    #[arg(long, default_value_t = 1_800)]
    timeout_seconds: u64,
    /// Show the log of wsflow dev and its functions.
    #[arg(long)]
    verbose: bool,
    /// Report reordered answers without failing on them (the CI run, until more default-size
    /// runs confirm the fix for the reordering local mode's backend caused).
    #[arg(long)]
    allow_reordered: bool,
}

/// Calls of the worker (and of the event source that feeds it) faults are injected into. Not
/// `SendMessage`: the gateway's `enqueue` integration sends with it, and a refused enqueue is
/// a job that never existed, not one lost.
const WORKER_OPERATIONS: [&str; 9] = [
    "PutItem",
    "GetItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "ReceiveMessage",
    "DeleteMessageBatch",
    "DeleteMessage",
    "ChangeMessageVisibilityBatch",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.groups > 0 && args.jobs >= args.groups,
        "--jobs must be at least --groups"
    );
    let moto = Moto::start().await?;
    let proxy = FaultProxy::start(moto.endpoint()).await?;
    let template = template::write()?;
    let dev = Dev::launch_on(&template, !args.verbose, proxy.url(), &[]).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.timeout_seconds);

    let (answers, answered) = tokio::sync::watch::channel(0);
    let mut clients = clients::connect(&dev, args.groups, answers).await?;
    let monkey = monkey::start(dev.pid(), answered, args.kill_every);
    inject_background_faults(&proxy, args.fault_rate);
    let sending = clients::send_all(&mut clients, args.jobs / args.groups);
    // The outage ends after its time, whether or not the clients are done sending.
    let outage = async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        proxy.inject(Fault::always(FaultKind::Status(500), &["PutItem", "UpdateItem"]));
        tokio::time::sleep(Duration::from_secs(args.outage_seconds)).await;
        proxy.clear();
        inject_background_faults(&proxy, args.fault_rate);
    };
    let (sent, ()) = tokio::join!(sending, outage);
    sent?;

    let queues = verdict::Queues::find(&moto).await?;
    verdict::settle(&clients, &queues, deadline).await?;
    let kills = monkey.stop().await;
    let injected = proxy.injected();
    proxy.clear();

    let visitors = verdict::unanswered(&clients);
    let replay = replay_killed_then_again(&moto, &queues).await?;
    verdict::settle(&clients, &queues, deadline).await?;

    let tally = verdict::check(&clients, &queues, &visitors).await?;
    println!(
        "chaos: {} jobs over {} groups, {injected} faults injected, {kills} worker kills, a {} s outage, \
         {} jobs through the DLQ, replay killed once and run again ({})",
        clients::jobs(&clients),
        args.groups,
        args.outage_seconds,
        visitors.len(),
        replay
    );
    println!("{tally}");
    dev.stop().await?;
    anyhow::ensure!(
        tally.clean(args.allow_reordered),
        "delivery guarantees broken (see above)"
    );
    Ok(())
}

/// A share `rate` of the worker's calls fails, evenly as 500, throttling, a reset or a lost
/// answer.
fn inject_background_faults(proxy: &FaultProxy, rate: f64) {
    for kind in [
        FaultKind::Status(500),
        FaultKind::Throttle,
        FaultKind::Reset,
        FaultKind::DropResponse,
    ] {
        proxy.inject(Fault::at_rate(rate / 4.0, kind, &WORKER_OPERATIONS));
    }
}

/// Starts `wsflow dlq replay` on the DLQ, SIGKILLs it once it moved something, runs it again to
/// the end; says what the second run reported.
async fn replay_killed_then_again(moto: &Moto, queues: &verdict::Queues) -> anyhow::Result<String> {
    let journal = std::env::temp_dir().join(format!("wsflow-chaos-{}.journal", std::process::id()));
    let run = |extra: &[&str]| {
        let mut command =
            wsflow_testkit::processes::command(&wsflow_binary().to_string_lossy(), moto.endpoint());
        command
            .args(["--json", "dlq", "replay", "--queue", &queues.dlq, "--journal"])
            .arg(&journal)
            .args(extra);
        command
    };
    let before = queues.depth(&queues.dlq).await?;
    if before == 0 {
        return Ok("the DLQ was empty".into());
    }
    let mut first = run(&["--rate", "20/s"])
        .spawn()
        .context("starting wsflow dlq replay")?;
    let moved_some = async {
        while queues.depth(&queues.dlq).await.unwrap_or(before) + 2 > before {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(30), moved_some).await;
    first.kill().await?;
    let second = run(&[]).output().await?;
    let summary = String::from_utf8_lossy(&second.stdout).trim().to_owned();
    anyhow::ensure!(
        second.status.success(),
        "the second replay failed ({}): {summary} {}",
        second.status,
        String::from_utf8_lossy(&second.stderr)
    );
    let _ = std::fs::remove_file(&journal);
    Ok(summary)
}

fn wsflow_binary() -> PathBuf {
    wsflow_e2e::binaries().join("wsflow")
}
