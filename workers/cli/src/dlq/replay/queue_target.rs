//! Replaying into a queue: what a message must satisfy, and the batched send.

use std::collections::{HashMap, VecDeque};

use anyhow::Context as _;
use aws_sdk_sqs::types::{Message, MessageAttributeValue, QueueAttributeName, SendMessageBatchRequestEntry};
use aws_sdk_sqs::Client;
use wsflow_aws::dead_letter::is_fifo;
use wsflow_core::ports::attr;

use super::BEHIND_FAILURE;
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

    /// Sends `messages`, each group in order; one result per message, `Ok` only where SQS
    /// confirmed the entry. A batch holds at most one message per group, and after a group's
    /// first failure nothing later of that group is sent: SQS does not document the order of
    /// a batch's entries when one fails, so a later entry of the same group could overtake it.
    pub async fn send(&self, messages: &[Message]) -> Vec<Result<(), String>> {
        let mut results: Vec<Option<Result<(), String>>> = vec![None; messages.len()];
        let mut plan = Plan::new(messages, self.max_bytes);
        while let Some(batch) = plan.next_batch() {
            let chunk: Vec<&Message> = batch.iter().map(|&i| &messages[i]).collect();
            for (&index, result) in batch.iter().zip(self.send_batch(&chunk).await) {
                if result.is_err() {
                    for behind in plan.stop_group(index) {
                        results[behind] = Some(Err(BEHIND_FAILURE.to_owned()));
                    }
                }
                results[index] = Some(result);
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(BEHIND_FAILURE.to_owned())))
            .collect()
    }

    async fn send_batch(&self, chunk: &[&Message]) -> Vec<Result<(), String>> {
        let entries = chunk.iter().enumerate().map(|(i, m)| self.entry(i, m));
        let answer = self
            .sqs
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries.collect()))
            .send()
            .await;
        let answer = answer.map(|out| (out.successful.into_iter().map(|s| s.id).collect(), out.failed));
        let errors = entry_errors(chunk.len(), answer);
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

/// The order of a replay's sends: each group's messages queued in order, and batches that take
/// the head of each group in turn (at most 10 entries, at most `max_bytes` in total, one message
/// per group), so groups advance side by side.
struct Plan {
    /// Message indices per group, groups in order of first appearance.
    groups: Vec<VecDeque<usize>>,
    /// Each message's group, as an index into `groups`.
    group_of: Vec<usize>,
    sizes: Vec<usize>,
    max_bytes: usize,
}

impl Plan {
    fn new(messages: &[Message], max_bytes: usize) -> Plan {
        let mut names: HashMap<Option<&str>, usize> = HashMap::new();
        let mut groups: Vec<VecDeque<usize>> = Vec::new();
        let mut group_of = Vec::with_capacity(messages.len());
        for (index, message) in messages.iter().enumerate() {
            // Messages without a group (standard queues) each stand alone.
            let name = letter::group_id(message);
            let group = match name.and_then(|n| names.get(&Some(n))) {
                Some(&g) => g,
                None => {
                    groups.push(VecDeque::new());
                    if name.is_some() {
                        names.insert(name, groups.len() - 1);
                    }
                    groups.len() - 1
                }
            };
            groups[group].push_back(index);
            group_of.push(group);
        }
        Plan {
            groups,
            group_of,
            sizes: messages.iter().map(size).collect(),
            max_bytes,
        }
    }

    /// The next batch: the head of each group with messages left, while the batch has room.
    fn next_batch(&mut self) -> Option<Vec<usize>> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        for group in &mut self.groups {
            let Some(&head) = group.front() else { continue };
            if batch.len() == BATCH || (!batch.is_empty() && bytes + self.sizes[head] > self.max_bytes) {
                break;
            }
            bytes += self.sizes[head];
            batch.push(head);
            group.pop_front();
        }
        (!batch.is_empty()).then_some(batch)
    }

    /// Stops the group of message `index` (it failed); returns its messages not sent yet.
    fn stop_group(&mut self, index: usize) -> Vec<usize> {
        self.groups[self.group_of[index]].drain(..).collect()
    }
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
/// instead of delivered twice. SQS message ids are UUIDs, so the id is `replay-<message id>`;
/// an id SQS would refuse (over 128 characters, or characters outside its set) is hashed
/// instead of cut, so two long ids cannot collide.
fn dedup_id(message_id: &str) -> String {
    let plain = format!("replay-{message_id}");
    let valid = |c: char| c.is_ascii_alphanumeric() || c.is_ascii_punctuation();
    if plain.len() <= MAX_DEDUP_ID_CHARS && plain.chars().all(valid) {
        return plain;
    }
    use sha2::Digest;
    format!(
        "replay-sha256-{}",
        hex::encode(sha2::Sha256::digest(message_id.as_bytes()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::types::MessageSystemAttributeName;
    use wsflow_aws::dead_letter::string_attribute;

    #[test]
    fn dedup_ids_are_stable_valid_and_bounded() {
        let id = "6e2b8c1a-29b0-4d1e-9f3a-0c5d7e8f9a1b";
        assert_eq!(dedup_id(id), format!("replay-{id}"));
        assert_eq!(dedup_id(id), dedup_id(id));
        let (long_a, long_b) = ("x".repeat(300), format!("{}y", "x".repeat(299)));
        assert_ne!(dedup_id(&long_a), dedup_id(&long_b), "long ids do not collide");
        assert!(dedup_id(&long_a).len() <= MAX_DEDUP_ID_CHARS);
        assert!(dedup_id("a b\u{e9}").starts_with("replay-sha256-"));
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

    fn grouped(groups: &[&str]) -> Vec<Message> {
        groups
            .iter()
            .map(|g| {
                let attrs = [(MessageSystemAttributeName::MessageGroupId, (*g).to_owned())];
                Message::builder()
                    .body("x")
                    .set_attributes(Some(attrs.into()))
                    .build()
            })
            .collect()
    }

    fn all_batches(plan: &mut Plan) -> Vec<Vec<usize>> {
        std::iter::from_fn(|| plan.next_batch()).collect()
    }

    #[test]
    fn a_batch_holds_one_message_per_group_and_groups_stay_in_order() {
        let messages = grouped(&["a", "a", "b", "a", "b", "c"]);
        let batches = all_batches(&mut Plan::new(&messages, 1000));
        assert_eq!(batches, [vec![0, 2, 5], vec![1, 4], vec![3]]);
    }

    #[test]
    fn batches_split_at_ten_entries_and_at_the_size_limit() {
        let names: Vec<String> = (0..12).map(|i| format!("g{i}")).collect();
        let messages = grouped(&names.iter().map(String::as_str).collect::<Vec<_>>());
        let sizes: Vec<usize> = all_batches(&mut Plan::new(&messages, 1000))
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, [10, 2]);
        let big: Vec<Message> = (0..3)
            .map(|_| Message::builder().body("y".repeat(60)).build())
            .collect();
        let sizes: Vec<usize> = all_batches(&mut Plan::new(&big, 100))
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, [1, 1, 1]);
    }

    #[test]
    fn a_failed_group_sends_nothing_more() {
        let messages = grouped(&["a", "b", "a", "b"]);
        let mut plan = Plan::new(&messages, 1000);
        assert_eq!(plan.next_batch(), Some(vec![0, 1]));
        assert_eq!(plan.stop_group(0), [2]);
        assert_eq!(plan.next_batch(), Some(vec![3]));
        assert_eq!(plan.next_batch(), None);
    }
}
