//! The non-consuming scan behind `stats`, `peek` and `export`: receive until nothing new comes,
//! holding everything received, then release it all.

use std::time::Duration;

use aws_sdk_sqs::types::Message;
use aws_sdk_sqs::Client;
use clap::Args;

use super::hold::{Hold, BATCH};
use super::progress;
use crate::context::Context;
use crate::{queues, shutdown};

/// The queue to read and how long this command may hold its messages.
#[derive(Args)]
pub struct QueueArgs {
    /// Dead-letter queue URL or name.
    #[arg(long)]
    pub queue: String,
    /// Seconds the messages read stay hidden from other consumers while the command runs
    /// (renewed as needed, released at the end; a killed command's messages reappear after it).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(2..=43_200)
    )]
    pub visibility_timeout: u64,
}

impl QueueArgs {
    pub async fn resolve(&self, sqs: &Client) -> anyhow::Result<String> {
        queues::resolve(sqs, &self.queue).await
    }

    pub fn visibility(&self) -> Duration {
        Duration::from_secs(self.visibility_timeout)
    }
}

/// Reads up to `limit` messages without consuming any. In a FIFO queue a group's later
/// messages stay out of reach while its earlier ones are held, so a scan sees each group's
/// first messages only: every count derived from a scan covers the messages it saw. A stop
/// signal ends the scan with an error, after the release.
pub async fn scan(
    context: &Context,
    sqs: &Client,
    queue_url: &str,
    limit: Option<usize>,
    visibility: Duration,
) -> anyhow::Result<Vec<Message>> {
    let mut messages = Vec::new();
    scan_each(context, sqs, queue_url, limit, visibility, |batch| {
        messages.extend_from_slice(batch);
        Ok(())
    })
    .await?;
    Ok(messages)
}

/// The scan of [`scan`], handing each batch to `each` as it arrives instead of keeping it;
/// returns how many messages it saw.
pub async fn scan_each(
    context: &Context,
    sqs: &Client,
    queue_url: &str,
    limit: Option<usize>,
    visibility: Duration,
    each: impl FnMut(&[Message]) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    let hold = Hold::new(sqs, queue_url, visibility);
    let outcome = collect(&hold, limit, context, each).await;
    hold.release().await;
    outcome
}

async fn collect(
    hold: &Hold<'_>,
    limit: Option<usize>,
    context: &Context,
    mut each: impl FnMut(&[Message]) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    let stop = shutdown::on_signal();
    let bar = progress::spinner(context, "scanning");
    let limit = limit.unwrap_or(usize::MAX);
    let mut seen = 0;
    while seen < limit {
        if *stop.borrow() {
            anyhow::bail!("interrupted after reading {seen} messages; all were released");
        }
        let fresh = hold.receive((limit - seen).min(BATCH)).await?;
        if fresh.is_empty() {
            break;
        }
        bar.inc(fresh.len() as u64);
        seen += fresh.len();
        each(&fresh)?;
    }
    bar.finish_and_clear();
    Ok(seen)
}
