//! `wsflow dlq export`: every reachable dead letter as JSON lines, deleting nothing.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use aws_sdk_sqs::types::{Message, MessageAttributeValue};
use clap::Args;
use serde_json::{json, Map, Value};

use super::scan::{scan, QueueArgs};
use crate::context::Context;

#[derive(Args)]
#[command(
    about = "Write dead letters to a JSON Lines file (body, message and system attributes); deletes nothing"
)]
#[command(after_help = "Each line holds one message:
  {\"messageId\":…,\"body\":…,\"messageAttributes\":{\"Task\":{\"dataType\":\"String\",\"stringValue\":\"store\"}},
   \"attributes\":{\"MessageGroupId\":…,\"SentTimestamp\":…,\"ApproximateReceiveCount\":…}}
Binary attribute values are base64. A FIFO queue only shows each group's first messages while
they are held, so an export covers what one non-consuming scan can reach.

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
    // Created before the scan so that an unwritable path fails before anything is received.
    let file = File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let messages = scan(context, &sqs, &queue_url, None, args.queue.visibility()).await?;
    write_lines(file, &messages).with_context(|| format!("writing {}", args.out.display()))?;
    let out = args.out.display().to_string();
    context.print(
        &json!({ "queueUrl": queue_url, "exported": messages.len(), "out": out }),
        || format!("exported {} messages from {queue_url} to {out}", messages.len()),
    );
    Ok(ExitCode::SUCCESS)
}

fn write_lines(file: File, messages: &[Message]) -> std::io::Result<()> {
    let mut out = BufWriter::new(file);
    for message in messages {
        serde_json::to_writer(&mut out, &line(message))?;
        out.write_all(b"\n")?;
    }
    out.flush()
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
