//! `wsflow worker`: the queue worker in poll mode, outside Lambda.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use wsflow_aws::poller::{self, PollOptions};

use crate::context::Context;
use crate::{queues, shutdown};

#[derive(Args)]
#[command(about = "Run the queue worker in poll mode (long-polls SQS; same processing as the Lambda)")]
#[command(
    after_help = "Configuration comes from the same variables as the Lambda function:
  CONNECTIONS_TABLE, RESULTS_TABLE, IDEMPOTENCY_TABLE, DLQ_URL, CALLBACK_URL
  (optional: GROUP_CONCURRENCY, BROADCAST_FANOUT, IDEMPOTENCY_TTL_SECONDS, IDEMPOTENCY_LOCK_SECONDS)

SIGINT/SIGTERM stops receiving, finishes the batch in hand and deletes only what succeeded.

Example:
  CONNECTIONS_TABLE=wsflow-connections RESULTS_TABLE=wsflow-results IDEMPOTENCY_TABLE=wsflow-idempotency \\
  DLQ_URL=$DLQ CALLBACK_URL=http://127.0.0.1:8080/api \\
  wsflow --endpoint-url http://127.0.0.1:4566 worker --queue-url $QUEUE"
)]
pub struct WorkerArgs {
    /// Queue URL or name.
    #[arg(long)]
    queue_url: String,
    /// Messages per receive (1-10).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(i32).range(1..=10))]
    batch_size: i32,
    /// Long-poll wait in seconds (0-20).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i32).range(0..=20))]
    wait_seconds: i32,
    /// Visibility timeout in seconds; renewed while a batch runs.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=43_200))]
    visibility_timeout: u64,
}

pub async fn run(context: &Context, args: WorkerArgs) -> anyhow::Result<ExitCode> {
    wsflow_aws::logging::init_json();
    let sqs = context.sqs();
    let options = PollOptions {
        queue_url: queues::resolve(&sqs, &args.queue_url).await?,
        batch_size: args.batch_size,
        wait_seconds: args.wait_seconds,
        visibility_timeout: Duration::from_secs(args.visibility_timeout),
    };
    let processor = context.worker_processor()?;
    tracing::info!(queue_url = %options.queue_url, "worker polling");
    let stats = poller::run(&sqs, &processor, &options, shutdown::on_signal()).await?;
    eprintln!(
        "worker stopped: {} received, {} done, {} returned to the queue",
        stats.received, stats.deleted, stats.returned
    );
    Ok(ExitCode::SUCCESS)
}
