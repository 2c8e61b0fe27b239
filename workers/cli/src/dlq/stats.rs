//! `wsflow dlq stats`: how many dead letters, how old, which tasks, which reasons, from where.

use std::collections::BTreeMap;
use std::process::ExitCode;

use aws_sdk_sqs::types::{Message, QueueAttributeName};
use clap::Args;
use serde::Serialize;
use wsflow_core::envelope::now_millis;

use super::scan::{scan, QueueArgs};
use super::{letter, source};
use crate::context::Context;
use crate::queues;

#[derive(Args)]
#[command(about = "Count dead letters by task and failure reason; show their age and source queues")]
#[command(
    after_help = "Counts by task and reason come from a scan that consumes nothing: messages are
received, held invisible for the scan and released. A FIFO queue only shows each message group's
first messages while they are held, so the scan may see fewer messages than the queue holds
(`scanned` says how many it saw). Messages moved by SQS' redrive policy carry no error reason
and are counted as `redrive`; their task is read from the body.

Examples:
  wsflow dlq stats --queue wsflow-jobs-dlq.fifo
  wsflow --json dlq stats --queue https://sqs.eu-west-1.amazonaws.com/123456789012/wsflow-jobs-dlq.fifo"
)]
pub struct StatsArgs {
    #[command(flatten)]
    queue: QueueArgs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    queue_url: String,
    /// SQS' approximate counts, read before the scan (which holds messages in flight itself).
    visible: u64,
    in_flight: u64,
    delayed: u64,
    scanned: usize,
    oldest_sent_at: Option<u64>,
    oldest_age_seconds: Option<u64>,
    by_task: BTreeMap<String, usize>,
    by_reason: BTreeMap<String, usize>,
    sources: Vec<String>,
}

const DEPTH: [QueueAttributeName; 3] = [
    QueueAttributeName::ApproximateNumberOfMessages,
    QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    QueueAttributeName::ApproximateNumberOfMessagesDelayed,
];

pub async fn run(context: &Context, args: StatsArgs) -> anyhow::Result<ExitCode> {
    let sqs = context.sqs();
    let queue_url = args.queue.resolve(&sqs).await?;
    let depth = queues::attributes(&sqs, &queue_url, &DEPTH).await?;
    let sources = source::sources(&sqs, &queue_url).await?;
    let messages = scan(context, &sqs, &queue_url, None, args.queue.visibility()).await?;
    let oldest_sent_at = messages.iter().filter_map(letter::sent_at).min();
    let stats = Stats {
        visible: queues::count(&depth, &DEPTH[0]),
        in_flight: queues::count(&depth, &DEPTH[1]),
        delayed: queues::count(&depth, &DEPTH[2]),
        scanned: messages.len(),
        oldest_sent_at,
        oldest_age_seconds: oldest_sent_at.map(|t| now_millis().saturating_sub(t) / 1000),
        by_task: tally(&messages, |m| {
            letter::task(m).unwrap_or_else(|| letter::UNKNOWN_TASK.into())
        }),
        by_reason: tally(&messages, |m| letter::reason(m).to_owned()),
        queue_url,
        sources,
    };
    context.print(&stats, || human(&stats));
    Ok(ExitCode::SUCCESS)
}

fn tally(messages: &[Message], key: impl Fn(&Message) -> String) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for message in messages {
        *counts.entry(key(message)).or_default() += 1;
    }
    counts
}

fn human(stats: &Stats) -> String {
    let mut lines = vec![
        format!("queue:      {}", stats.queue_url),
        format!(
            "messages:   {} visible, {} in flight, {} delayed (approximate)",
            stats.visible, stats.in_flight, stats.delayed
        ),
        format!("scanned:    {}", stats.scanned),
    ];
    if let Some(age) = stats.oldest_age_seconds {
        lines.push(format!("oldest:     sent {} ago", duration_text(age)));
    }
    lines.push(format!("by task:    {}", counts_text(&stats.by_task)));
    lines.push(format!("by reason:  {}", counts_text(&stats.by_reason)));
    let sources = match stats.sources.as_slice() {
        [] => "(no queue names this one in its redrive policy)".to_owned(),
        urls => urls.join(", "),
    };
    lines.push(format!("sources:    {sources}"));
    lines.join("\n")
}

fn counts_text(counts: &BTreeMap<String, usize>) -> String {
    if counts.is_empty() {
        return "-".into();
    }
    let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
    parts.join(", ")
}

fn duration_text(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        s => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_the_largest_units() {
        assert_eq!(duration_text(42), "42s");
        assert_eq!(duration_text(192), "3m 12s");
        assert_eq!(duration_text(7_260), "2h 1m");
        assert_eq!(duration_text(90_000), "1d 1h");
    }
}
