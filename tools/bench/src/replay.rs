//! Dead-letter replay throughput: `wsflow dlq replay` (batches of 10, concurrent pipelines)
//! against a one-message-at-a-time receive/send/delete loop, same moto server, same messages,
//! at each round-trip time a fault proxy adds to every SQS call. On SQS the cost of a replay is
//! its round trips; on loopback moto's own work dominates, and it grows with the queue's size
//! (moto scans every message of a queue for each message it sends or receives), so the queues
//! stay at a size where it does not.

use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use wsflow_testkit::{Fault, FaultKind, FaultProxy, Moto, WorkerResources};

use wsflow_bench::report::{Kind, Plot, Report};

/// Message groups in the DLQ, as many as `make chaos` uses: a FIFO group advances one
/// receive-send-delete at a time, so the groups bound how much a replay can do at once.
const GROUPS: usize = 50;
/// The replay plot: msg/s against the round-trip time added to every SQS call; each mode is
/// one series, with a point per round-trip time measured.
const REPLAY_PLOT: &str = "replay-vs-round-trip";
const ROUND_TRIPS_MS: [f64; 5] = [0.0, 1.0, 5.0, 10.0, 20.0];
/// The round trip the targets are set at: a typical in-region SQS call.
const TARGET_ROUND_TRIP_MS: f64 = 10.0;
const MODES: [&str; 2] = ["wsflow dlq replay", "one-by-one loop"];

async fn seed(sqs: &Client, dlq: &str, messages: usize) -> anyhow::Result<()> {
    for chunk in (0..messages).collect::<Vec<_>>().chunks(10) {
        let entries = chunk.iter().map(|i| {
            SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(format!(r#"{{"seq":{i}}}"#))
                .message_group_id(format!("g{}", i % GROUPS))
                .message_deduplication_id(format!("seed-{i}"))
                .build()
                .expect("id and body are set")
        });
        sqs.send_message_batch()
            .queue_url(dlq)
            .set_entries(Some(entries.collect()))
            .send()
            .await?;
    }
    Ok(())
}

/// The loop an operator would write without batching.
async fn one_by_one(sqs: &Client, dlq: &str, target: &str, messages: usize) -> anyhow::Result<()> {
    let mut moved = 0;
    while moved < messages {
        let received = sqs
            .receive_message()
            .queue_url(dlq)
            .max_number_of_messages(1)
            .send()
            .await?;
        for message in received.messages.unwrap_or_default() {
            let id = message.message_id().unwrap_or_default();
            sqs.send_message()
                .queue_url(target)
                .message_body(message.body().unwrap_or_default())
                .message_group_id("replayed")
                .message_deduplication_id(format!("loop-{id}"))
                .send()
                .await?;
            sqs.delete_message()
                .queue_url(dlq)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await?;
            moved += 1;
        }
    }
    Ok(())
}

async fn replay_command(endpoint: &str, dlq: &str, target: &str) -> anyhow::Result<()> {
    let wsflow = std::env::current_exe()?.with_file_name("wsflow");
    let status = tokio::process::Command::new(&wsflow)
        .args([
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
            "dlq",
            "replay",
        ])
        .args(["--queue", dlq, "--to", target])
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .with_context(|| format!("running {}", wsflow.display()))?;
    anyhow::ensure!(status.success(), "wsflow dlq replay failed: {status}");
    Ok(())
}

/// One mode's run time and backend requests, moving `messages` seeded messages (none: the
/// fixed cost of a run) with every SQS call delayed by `round_trip_ms` on its way to moto.
async fn measure(
    moto: &Moto,
    mode: usize,
    round_trip_ms: f64,
    messages: usize,
) -> anyhow::Result<(Duration, usize)> {
    let sdk = moto.sdk_config().await;
    // Fresh queues per point, seeded straight on moto: every point starts from the same contents.
    let prefix = format!("bench{mode}x{}n{messages}", round_trip_ms as u64);
    let resources = WorkerResources::create(&sdk, &prefix, 3, 30).await?;
    seed(&Client::new(&sdk), &resources.dlq_url, messages).await?;
    let proxy = FaultProxy::start(moto.endpoint()).await?;
    if round_trip_ms > 0.0 {
        let delay = Duration::from_secs_f64(round_trip_ms / 1000.0);
        proxy.inject(Fault::always(FaultKind::Latency(delay), &[]));
    }
    // The loop's client, built outside the timed part (the replay command's is inside its run).
    let distant = Client::new(&wsflow_dev::local_sdk_config(proxy.url(), "us-east-1").await);
    let started = Instant::now();
    match mode {
        0 => replay_command(proxy.url(), &resources.dlq_url, &resources.queue_url).await?,
        _ => one_by_one(&distant, &resources.dlq_url, &resources.queue_url, messages).await?,
    }
    Ok((started.elapsed(), proxy.forwarded()))
}

/// One measured run of a mode.
struct Run {
    mode: usize,
    elapsed: Duration,
    requests: usize,
    messages: usize,
}

/// What a message costs at the target round trip: requests, round trips of wall time, and (for
/// the replay) the rate once a run's fixed cost (`fixed`, an empty run) is taken out.
fn report_costs(report: &mut Report, section: &str, run: &Run, fixed: Duration) {
    let name = MODES[run.mode];
    let messages = run.messages as f64;
    if run.mode == 0 {
        let moving = run.elapsed.saturating_sub(fixed).as_secs_f64();
        let at = format!("{name}, +{TARGET_ROUND_TRIP_MS} ms, less the empty run");
        report.add(section, &at, messages / moving, "msg/s", "");
    }
    let at = format!("{name}: requests per message");
    report.add(section, &at, run.requests as f64 / messages, "", "");
    let round_trips = run.elapsed.as_secs_f64() * 1000.0 / TARGET_ROUND_TRIP_MS / messages;
    let at = format!("{name}: round trips per message");
    report.add(section, &at, round_trips, "", "");
}

pub async fn run(report: &mut Report, messages: usize) -> anyhow::Result<()> {
    let moto = Moto::start().await?;
    let section = "dlq replay (moto)";
    report.declare(
        Plot::new(
            REPLAY_PLOT,
            Kind::Lines,
            "Dead-letter replay against the round-trip time to SQS",
            "added round-trip time (ms)",
            "msg/s",
        )
        .with_x_ticks(&ROUND_TRIPS_MS),
    );
    // Part of every run's time: starting, finding the queues, and the one-second long poll that
    // shows the DLQ is empty before a run says it is done.
    let (fixed, _) = measure(&moto, 0, TARGET_ROUND_TRIP_MS, 0).await?;
    let fixed_ms = fixed.as_secs_f64() * 1000.0;
    let at = format!("wsflow dlq replay of an empty DLQ, +{TARGET_ROUND_TRIP_MS} ms");
    report.add(section, &at, fixed_ms, "ms", "");
    for round_trip_ms in ROUND_TRIPS_MS {
        let at_target = round_trip_ms == TARGET_ROUND_TRIP_MS;
        let mut rates = Vec::new();
        for (mode, name) in MODES.into_iter().enumerate() {
            let (elapsed, requests) = measure(&moto, mode, round_trip_ms, messages).await?;
            let rate = messages as f64 / elapsed.as_secs_f64();
            let target = if at_target && mode == 0 {
                "target >= 1000"
            } else {
                ""
            };
            let at = format!("{name}, +{round_trip_ms} ms: {messages} messages");
            report.add(section, &at, rate, "msg/s", target);
            if at_target {
                let run = Run {
                    mode,
                    elapsed,
                    requests,
                    messages,
                };
                report_costs(report, section, &run, fixed);
            }
            report.point(REPLAY_PLOT, name, (round_trip_ms, rate));
            rates.push(rate);
        }
        let target = if at_target { "target >= 10" } else { "" };
        report.add(
            section,
            &format!("batched / one-by-one, +{round_trip_ms} ms"),
            rates[0] / rates[1],
            "x",
            target,
        );
    }
    Ok(())
}
