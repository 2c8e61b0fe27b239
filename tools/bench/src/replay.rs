//! Dead-letter replay throughput: `wsflow dlq replay` (batches of 10) against a
//! one-message-at-a-time receive/send/delete loop, same moto server, same messages.

use std::time::Instant;

use anyhow::Context;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use wsflow_testkit::{Moto, WorkerResources};

use wsflow_bench::report::{Kind, Plot, Report};

const GROUPS: usize = 20;
/// The replay plot: msg/s against the round-trip time added to every SQS call; each mode is
/// one series, with a point per round-trip time measured.
const REPLAY_PLOT: &str = "replay-vs-round-trip";
const ROUND_TRIPS_MS: [f64; 5] = [0.0, 1.0, 5.0, 10.0, 20.0];

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

async fn replay_command(moto: &Moto, dlq: &str, target: &str) -> anyhow::Result<()> {
    let wsflow = std::env::current_exe()?.with_file_name("wsflow");
    let status = tokio::process::Command::new(&wsflow)
        .args([
            "--endpoint-url",
            moto.endpoint(),
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

pub async fn run(report: &mut Report, messages: usize) -> anyhow::Result<()> {
    let moto = Moto::start().await?;
    let sdk = moto.sdk_config().await;
    let sqs = Client::new(&sdk);
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
    let mut rates = Vec::new();
    for (round, mode) in ["wsflow dlq replay", "one-by-one loop"].into_iter().enumerate() {
        // Fresh queues per mode: both start from the same DLQ contents.
        let resources = WorkerResources::create(&sdk, &format!("bench{round}"), 3, 30).await?;
        seed(&sqs, &resources.dlq_url, messages).await?;
        let started = Instant::now();
        match round {
            0 => replay_command(&moto, &resources.dlq_url, &resources.queue_url).await?,
            _ => one_by_one(&sqs, &resources.dlq_url, &resources.queue_url, messages).await?,
        }
        let rate = messages as f64 / started.elapsed().as_secs_f64();
        report.add(
            section,
            &format!("{mode}: {messages} messages"),
            rate,
            "msg/s",
            "",
        );
        // Straight to the local moto server: no round trip added.
        report.point(REPLAY_PLOT, mode, (0.0, rate));
        rates.push(rate);
    }
    report.add(
        section,
        "batched / one-by-one",
        rates[0] / rates[1],
        "x",
        "target >= 10",
    );
    Ok(())
}
