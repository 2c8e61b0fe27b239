//! `wsflow dlq peek`: show some dead letters without consuming them.

use std::process::ExitCode;

use aws_sdk_sqs::types::Message;
use clap::Args;
use serde::Serialize;

use super::letter;
use super::scan::{scan, QueueArgs};
use crate::context::Context;

const EXCERPT_CHARS: usize = 80;

#[derive(Args)]
#[command(about = "Show dead letters (id, group, receive count, task, reason, body) without consuming them")]
#[command(
    after_help = "The messages are received, held invisible while they are read, then released
at once. Each peek raises their receive count. `--json` prints the full bodies.

Examples:
  wsflow dlq peek --queue wsflow-jobs-dlq.fifo
  wsflow --json dlq peek --queue wsflow-jobs-dlq.fifo --max 50 | jq '.messages[].body'"
)]
pub struct PeekArgs {
    #[command(flatten)]
    queue: QueueArgs,
    /// How many messages to show.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    max: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    message_id: String,
    group_id: Option<String>,
    receive_count: u32,
    task: Option<String>,
    reason: String,
    body: String,
}

impl Row {
    fn new(message: &Message) -> Row {
        Row {
            message_id: message.message_id().unwrap_or_default().to_owned(),
            group_id: letter::group_id(message).map(str::to_owned),
            receive_count: letter::receive_count(message),
            task: letter::task(message),
            reason: letter::reason(message).to_owned(),
            body: message.body().unwrap_or_default().to_owned(),
        }
    }

    fn line(&self, message: &Message) -> String {
        format!(
            "{}  group={}  receives={}  task={}  reason={}\n    {}",
            self.message_id,
            self.group_id.as_deref().unwrap_or("-"),
            self.receive_count,
            self.task.as_deref().unwrap_or(letter::UNKNOWN_TASK),
            self.reason,
            letter::excerpt(message, EXCERPT_CHARS)
        )
    }
}

pub async fn run(context: &Context, args: PeekArgs) -> anyhow::Result<ExitCode> {
    let sqs = context.sqs();
    let queue_url = args.queue.resolve(&sqs).await?;
    let messages = scan(
        context,
        &sqs,
        &queue_url,
        Some(args.max as usize),
        args.queue.visibility(),
    )
    .await?;
    let rows: Vec<Row> = messages.iter().map(Row::new).collect();
    context.print(
        &serde_json::json!({ "queueUrl": queue_url, "messages": rows }),
        || {
            if rows.is_empty() {
                return format!("no messages in {queue_url}");
            }
            let lines: Vec<String> = rows.iter().zip(&messages).map(|(r, m)| r.line(m)).collect();
            lines.join("\n")
        },
    );
    Ok(ExitCode::SUCCESS)
}
