//! Replaying into a queue: what a message must satisfy, and the batched send.

use std::collections::HashMap;

use anyhow::Context as _;
use aws_sdk_sqs::types::{Message, MessageAttributeValue, QueueAttributeName, SendMessageBatchRequestEntry};
use aws_sdk_sqs::Client;
use wsflow_aws::dead_letter::is_fifo;
use wsflow_core::ports::attr;

use crate::dlq::hold::{entry_errors, BATCH};
use crate::dlq::letter;
use crate::queues;

/// SQS' default and (for batches) total payload limit, when the queue does not say: 1 MiB
/// (MaximumMessageSize's default, 1,048,576 bytes; SQS API reference, SetQueueAttributes).
const DEFAULT_MAX_BYTES: usize = 1024 * 1024;
const MAX_DEDUP_ID_CHARS: usize = 128;
/// The attributes that describe the failure being replayed. They are dropped: a replayed job
/// that fails again gets fresh ones from the worker, and one that SQS' redrive moves again must
/// not be counted under the old reason. `FirstFailureAt`, `Task` and all other attributes stay,
/// so the first failure time survives any number of replays.
const DROPPED_ATTRIBUTES: [&str; 2] = [attr::ERROR_REASON, attr::ERROR_MESSAGE];
const NO_GROUP: &str = "the message has no MessageGroupId, which the FIFO target requires \
     (replay it to a standard queue with --to)";

pub struct QueueTarget {
    sqs: Client,
    url: String,
    fifo: bool,
    max_bytes: usize,
}

impl QueueTarget {
    /// Checks that the target exists and can keep what the DLQ's messages promise.
    pub async fn open(sqs: &Client, url: String, dlq_url: &str) -> anyhow::Result<QueueTarget> {
        let size = QueueAttributeName::MaximumMessageSize;
        let attributes = queues::attributes(sqs, &url, std::slice::from_ref(&size))
            .await
            .context("the replay target")?;
        let fifo = is_fifo(&url);
        if is_fifo(dlq_url) && !fifo {
            anyhow::bail!(
                "the target {url} is a standard queue but the DLQ {dlq_url} is FIFO: the replay would \
                 lose the message order and the deduplication that makes a re-run safe; pass a FIFO \
                 queue with --to"
            );
        }
        let max_bytes = match queues::count(&attributes, &size) {
            0 => DEFAULT_MAX_BYTES,
            bytes => bytes as usize,
        };
        Ok(QueueTarget {
            sqs: sqs.clone(),
            url,
            fifo,
            max_bytes,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Why `message` cannot be sent to this queue, if it cannot.
    pub fn check(&self, message: &Message) -> Result<(), String> {
        if self.fifo && letter::group_id(message).is_none() {
            return Err(NO_GROUP.to_owned());
        }
        if size(message) > self.max_bytes {
            return Err(format!(
                "body and attributes exceed the target's limit of {} bytes",
                self.max_bytes
            ));
        }
        Ok(())
    }

    /// Sends `messages` in order, in batches of at most 10 and of the size limit; one result per
    /// message, `Ok` only where SQS confirmed the entry.
    pub async fn send(&self, messages: &[Message]) -> Vec<Result<(), String>> {
        let mut results = Vec::with_capacity(messages.len());
        for chunk in batches(messages, self.max_bytes) {
            results.extend(self.send_batch(chunk).await);
        }
        results
    }

    async fn send_batch(&self, chunk: &[Message]) -> Vec<Result<(), String>> {
        let entries = chunk.iter().enumerate().map(|(i, m)| self.entry(i, m));
        let answer = self
            .sqs
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries.collect()))
            .send()
            .await;
        let errors = entry_errors(chunk.len(), answer.map(|out| out.failed));
        (0..chunk.len())
            .map(|i| {
                errors
                    .get(&i)
                    .map_or(Ok(()), |e| Err(format!("send failed: {e}")))
            })
            .collect()
    }

    fn entry(&self, index: usize, message: &Message) -> SendMessageBatchRequestEntry {
        let mut entry = SendMessageBatchRequestEntry::builder()
            .id(index.to_string())
            .message_body(message.body().unwrap_or_default())
            .set_message_attributes(Some(carried_attributes(message)));
        if self.fifo {
            entry = entry
                .set_message_group_id(letter::group_id(message).map(str::to_owned))
                .message_deduplication_id(dedup_id(message.message_id().unwrap_or_default()));
        }
        entry.build().expect("id and body are set")
    }
}

/// Consecutive runs of `messages` that fit one `SendMessageBatch`: at most 10 entries and at most
/// `max_bytes` in total (a message larger than that alone is caught by `check`).
fn batches(messages: &[Message], max_bytes: usize) -> Vec<&[Message]> {
    let mut batches = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, message) in messages.iter().enumerate() {
        let message_bytes = size(message);
        if i > start && (i - start == BATCH || bytes + message_bytes > max_bytes) {
            batches.push(&messages[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += message_bytes;
    }
    if start < messages.len() {
        batches.push(&messages[start..]);
    }
    batches
}

fn carried_attributes(message: &Message) -> HashMap<String, MessageAttributeValue> {
    let mut attributes = message.message_attributes().cloned().unwrap_or_default();
    attributes.retain(|name, _| !DROPPED_ATTRIBUTES.contains(&name.as_str()));
    attributes
}

/// SQS' size of a message as sent here: the body plus each attribute's name, type and value.
fn size(message: &Message) -> usize {
    let attributes: usize = carried_attributes(message)
        .iter()
        .map(|(name, value)| {
            name.len()
                + value.data_type().len()
                + value.string_value().map_or(0, str::len)
                + value.binary_value().map_or(0, |b| b.as_ref().len())
        })
        .sum();
    message.body().map_or(0, str::len) + attributes
}

/// The replayed message's deduplication id: derived from the dead letter's id alone, so a replay
/// repeated after a crash (within SQS' five-minute deduplication window) is dropped by SQS
/// instead of delivered twice. SQS message ids are UUIDs; characters SQS would refuse are
/// replaced all the same, so another backend's ids cannot make the send fail.
fn dedup_id(message_id: &str) -> String {
    format!("replay-{message_id}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c.is_ascii_punctuation() {
                c
            } else {
                '_'
            }
        })
        .take(MAX_DEDUP_ID_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsflow_aws::dead_letter::string_attribute;

    #[test]
    fn dedup_ids_are_stable_valid_and_bounded() {
        let id = "6e2b8c1a-29b0-4d1e-9f3a-0c5d7e8f9a1b";
        assert_eq!(dedup_id(id), format!("replay-{id}"));
        assert_eq!(dedup_id(id), dedup_id(id));
        assert_eq!(dedup_id("a b\u{e9}"), "replay-a_b_");
        assert_eq!(dedup_id(&"x".repeat(300)).len(), MAX_DEDUP_ID_CHARS);
    }

    #[test]
    fn error_attributes_are_dropped_and_the_rest_kept() {
        let message = Message::builder()
            .body("{}")
            .message_attributes(attr::ERROR_REASON, string_attribute("unknown_task"))
            .message_attributes(attr::ERROR_MESSAGE, string_attribute("no such task"))
            .message_attributes(attr::FIRST_FAILURE_AT, string_attribute("1732240000000"))
            .message_attributes(attr::TASK, string_attribute("frobnicate"))
            .build();
        let mut kept: Vec<String> = carried_attributes(&message).into_keys().collect();
        kept.sort();
        assert_eq!(kept, [attr::FIRST_FAILURE_AT, attr::TASK]);
        // "{}" + "FirstFailureAt" "String" "1732240000000" + "Task" "String" "frobnicate"
        assert_eq!(size(&message), 2 + (14 + 6 + 13) + (4 + 6 + 10));
    }

    #[test]
    fn batches_split_at_ten_entries_and_at_the_size_limit() {
        let small: Vec<Message> = (0..12).map(|_| Message::builder().body("x").build()).collect();
        let sizes: Vec<usize> = batches(&small, 100).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [10, 2]);
        let big: Vec<Message> = (0..3)
            .map(|_| Message::builder().body("y".repeat(60)).build())
            .collect();
        let sizes: Vec<usize> = batches(&big, 100).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [1, 1, 1]);
    }
}
