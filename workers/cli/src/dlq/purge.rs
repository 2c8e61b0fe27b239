//! `wsflow dlq purge`: delete every dead letter, after a confirmation.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use aws_sdk_sqs::types::QueueAttributeName;
use clap::Args;
use serde_json::json;

use crate::context::Context;
use crate::queues;

#[derive(Args)]
#[command(about = "Delete every message in the dead-letter queue")]
#[command(
    after_help = "Asks for confirmation on a terminal; elsewhere (scripts, CI) it refuses to run
without --yes. SQS allows one purge per queue every 60 seconds and may take that long to finish.
Consider `wsflow dlq export` first.

Examples:
  wsflow dlq purge --queue wsflow-jobs-dlq.fifo
  wsflow dlq purge --queue wsflow-jobs-dlq.fifo --yes"
)]
pub struct PurgeArgs {
    /// Dead-letter queue URL or name.
    #[arg(long)]
    queue: String,
    /// Purge without asking.
    #[arg(long)]
    yes: bool,
}

pub async fn run(context: &Context, args: PurgeArgs) -> anyhow::Result<ExitCode> {
    let sqs = context.sqs();
    let queue_url = queues::resolve(&sqs, &args.queue).await?;
    let depth_name = QueueAttributeName::ApproximateNumberOfMessages;
    let depth = queues::attributes(&sqs, &queue_url, std::slice::from_ref(&depth_name)).await?;
    let count = queues::count(&depth, &depth_name);
    if !args.yes && !confirmed(&queue_url, count)? {
        context.print(&json!({ "queueUrl": queue_url, "purged": false }), || {
            "not purged".into()
        });
        return Ok(ExitCode::FAILURE);
    }
    sqs.purge_queue()
        .queue_url(&queue_url)
        .send()
        .await
        .with_context(|| format!("purging {queue_url}"))?;
    context.print(
        &json!({ "queueUrl": queue_url, "purged": true, "approximateMessages": count }),
        || format!("purged {queue_url} (about {count} messages)"),
    );
    Ok(ExitCode::SUCCESS)
}

/// Asks on the terminal; without one there is nobody to ask, so only `--yes` will do.
fn confirmed(queue_url: &str, count: u64) -> anyhow::Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        anyhow::bail!("refusing to purge {queue_url} without --yes: stdin is not a terminal to confirm on");
    }
    eprint!("delete all (about {count}) messages in {queue_url}? type `yes` to confirm: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
