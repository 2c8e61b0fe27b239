//! `wsflow dlq export`: every reachable dead letter as JSON lines, deleting nothing.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use aws_sdk_sqs::types::{Message, MessageAttributeValue, QueueAttributeName};
use clap::Args;
use serde_json::{json, Map, Value};

use super::scan::{scan_each, QueueArgs};
use crate::context::Context;
use crate::queues;

#[derive(Args)]
#[command(
    about = "Write dead letters to a JSON Lines file (body, message and system attributes); deletes nothing"
)]
#[command(after_help = "Each line holds one message:
  {\"messageId\":…,\"body\":…,\"messageAttributes\":{\"Task\":{\"dataType\":\"String\",\"stringValue\":\"store\"}},
   \"attributes\":{\"MessageGroupId\":…,\"SentTimestamp\":…,\"ApproximateReceiveCount\":…}}
Binary attribute values are base64. A FIFO queue only shows each group's first messages while
they are held, so an export covers what one non-consuming scan can reach; the lines are written
as they arrive, and an export that reached fewer messages than the queue holds says so and exits
with status 1 (the file is kept, but it is not the whole queue).

Examples:
  wsflow dlq export --queue wsflow-jobs-dlq.fifo --out dead-letters.jsonl
  jq -r '.attributes.MessageGroupId' dead-letters.jsonl | sort | uniq -c")]
pub struct ExportArgs {
    #[command(flatten)]
    queue: QueueArgs,
    /// The file to write (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

pub async fn run(context: &Context, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let sqs = context.sqs();
    let queue_url = args.queue.resolve(&sqs).await?;
    let depth = depth(&sqs, &queue_url).await?;
    // Created before the scan so that an unwritable path fails before anything is received.
    let file = File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let mut out = BufWriter::new(file);
    let writing = || format!("writing {}", args.out.display());
    // Each batch goes to the file as it arrives: an export holds no more than one in memory.
    let exported = scan_each(
        context,
        &sqs,
        &queue_url,
        None,
        args.queue.visibility(),
        |batch| write_lines(&mut out, batch).with_context(writing),
    )
    .await?;
    out.flush().with_context(writing)?;
    let path = args.out.display().to_string();
    context.print(
        &json!({ "queueUrl": queue_url, "exported": exported, "queued": depth, "out": path }),
        || format!("exported {exported} of {depth} messages from {queue_url} to {path}"),
    );
    if exported < depth {
        eprintln!(
            "error: the export is partial: {} of {depth} messages were out of reach (a FIFO queue shows a \
             group's later messages only once its earlier ones are deleted, and messages in flight are \
             hidden); {path} holds {exported}. Do not purge on the strength of it: replay or consume the \
             queue to get at the rest",
            depth - exported
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The messages the queue holds, visible and in flight, before the scan.
async fn depth(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> anyhow::Result<usize> {
    let names = [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    ];
    let attributes = queues::attributes(sqs, queue_url, &names).await?;
    Ok(names.iter().map(|n| queues::count(&attributes, n) as usize).sum())
}

fn write_lines(out: &mut impl Write, messages: &[Message]) -> std::io::Result<()> {
    for message in messages {
        serde_json::to_writer(&mut *out, &line(message))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn line(message: &Message) -> Value {
    let attributes: BTreeMap<&str, &str> = message
        .attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let message_attributes: Map<String, Value> = message
        .message_attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.clone(), attribute_value(value)))
        .collect();
    json!({
        "messageId": message.message_id(),
        "body": message.body(),
        "messageAttributes": message_attributes,
        "attributes": attributes,
    })
}

fn attribute_value(value: &MessageAttributeValue) -> Value {
    let mut fields = Map::new();
    fields.insert("dataType".into(), value.data_type().into());
    if let Some(text) = value.string_value() {
        fields.insert("stringValue".into(), text.into());
    }
    if let Some(bytes) = value.binary_value() {
        fields.insert(
            "binaryValue".into(),
            aws_smithy_types::base64::encode(bytes).into(),
        );
    }
    Value::Object(fields)
}
