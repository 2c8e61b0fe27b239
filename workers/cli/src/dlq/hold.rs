//! Receiving from a queue without consuming: every received message is held (kept invisible to
//! other consumers, its visibility renewed) until it is deleted or the hold is released.
//!
//! Holding rather than releasing at once is what lets a command get past messages it does not
//! take: a released message is handed out again by the next receive, and in a FIFO queue a
//! group's later messages are only handed out once its earlier ones are gone or in flight.
//!
//! A hold is shared by the concurrent pipelines of a replay (one task, so `RefCell`s; no
//! borrow is kept across an await).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message,
    MessageSystemAttributeName,
};
use aws_sdk_sqs::Client;
use aws_smithy_types::error::display::DisplayErrorContext;
use tokio::sync::watch;
use tokio::time::Instant;

/// SQS' limit on entries per batch request and messages per receive.
pub const BATCH: usize = 10;
/// A short poll asks only some of SQS' servers and may answer "empty" while messages remain;
/// one second of long polling asks all of them, so an empty answer means the scan is done.
const RECEIVE_WAIT_SECONDS: i32 = 1;

pub struct Hold<'a> {
    sqs: &'a Client,
    queue_url: &'a str,
    visibility: Duration,
    /// Message id to its latest receipt handle (a message received again gets a new one).
    receipts: RefCell<HashMap<String, String>>,
    renewed_at: Cell<Instant>,
}

impl<'a> Hold<'a> {
    pub fn new(sqs: &'a Client, queue_url: &'a str, visibility: Duration) -> Self {
        Hold {
            sqs,
            queue_url,
            visibility,
            receipts: RefCell::default(),
            renewed_at: Cell::new(Instant::now()),
        }
    }

    /// Receives up to `max` messages (at most 10) and holds them. Returns only the messages
    /// this hold did not have yet, so an empty answer means nothing new is reachable.
    pub async fn receive(&self, max: usize) -> anyhow::Result<Vec<Message>> {
        self.receive_waiting(max, RECEIVE_WAIT_SECONDS).await
    }

    /// [`receive`](Self::receive) without waiting: for more of what a receive just found. An
    /// empty answer proves nothing (a short poll asks only some of SQS' servers).
    pub async fn receive_more(&self, max: usize) -> anyhow::Result<Vec<Message>> {
        self.receive_waiting(max, 0).await
    }

    async fn receive_waiting(&self, max: usize, wait_seconds: i32) -> anyhow::Result<Vec<Message>> {
        self.renew_if_due().await;
        let out = self
            .sqs
            .receive_message()
            .queue_url(self.queue_url)
            .max_number_of_messages(max.clamp(1, BATCH) as i32)
            .wait_time_seconds(wait_seconds)
            .visibility_timeout(self.visibility.as_secs() as i32)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .with_context(|| format!("receiving from {}", self.queue_url))?;
        let mut fresh = Vec::new();
        let mut receipts = self.receipts.borrow_mut();
        for message in out.messages.unwrap_or_default() {
            let (Some(id), Some(receipt)) = (message.message_id(), message.receipt_handle()) else {
                continue;
            };
            if receipts.insert(id.to_owned(), receipt.to_owned()).is_none() {
                fresh.push(message);
            }
        }
        Ok(fresh)
    }

    /// Deletes held messages. Returns the ids SQS did not delete, with why; those stay held.
    pub async fn delete(&self, ids: &[&str]) -> HashMap<String, String> {
        let mut failed = HashMap::new();
        for chunk in ids.chunks(BATCH) {
            let entries: Vec<DeleteMessageBatchRequestEntry> = chunk
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(&self.receipts.borrow()[*id])
                        .build()
                        .expect("id and receipt are set")
                })
                .collect();
            let answer = self
                .sqs
                .delete_message_batch()
                .queue_url(self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await;
            let errors = entry_errors(
                chunk.len(),
                answer.map(|out| (out.successful.into_iter().map(|s| s.id).collect(), out.failed)),
            );
            for (i, id) in chunk.iter().enumerate() {
                match errors.get(&i) {
                    Some(reason) => failed.insert((*id).to_owned(), reason.clone()),
                    None => self.receipts.borrow_mut().remove(*id),
                };
            }
        }
        failed
    }

    /// Waits until `deadline` (or a stop signal), renewing the held messages meanwhile.
    pub async fn idle_until(&self, deadline: Instant, shutdown: &mut watch::Receiver<bool>) {
        while Instant::now() < deadline && !*shutdown.borrow() {
            let step = deadline.min(Instant::now() + self.visibility / 2);
            tokio::select! {
                _ = tokio::time::sleep_until(step) => {}
                _ = shutdown.changed() => {}
            }
            self.renew_if_due().await;
        }
    }

    /// Makes every held message visible again at once.
    pub async fn release(self) {
        let unreleased = self.change_visibility(Duration::ZERO).await;
        if unreleased > 0 {
            eprintln!(
                "warning: {unreleased} message(s) could not be released; they reappear within {}s",
                self.visibility.as_secs()
            );
        }
    }

    /// How often a long-running caller should call [`renew_if_due`](Self::renew_if_due).
    pub fn renewal_period(&self) -> Duration {
        self.visibility / 4
    }

    /// How many messages are held.
    pub fn len(&self) -> usize {
        self.receipts.borrow().len()
    }

    /// Renews the hold if half its visibility has passed since the last renewal.
    pub async fn renew_if_due(&self) {
        if self.renewed_at.get().elapsed() >= self.visibility / 2 {
            // Marked first, so concurrent pipelines do not renew the same messages twice.
            self.renewed_at.set(Instant::now());
            // A message that cannot be renewed reappears and is recognised by its id when
            // received again, so a failed renewal costs a receive, not correctness.
            self.change_visibility(self.visibility).await;
        }
    }

    /// Sets the visibility of every held message; returns how many SQS did not change.
    async fn change_visibility(&self, visibility: Duration) -> usize {
        let receipts: Vec<String> = self.receipts.borrow().values().cloned().collect();
        let mut unchanged = 0;
        for chunk in receipts.chunks(BATCH) {
            let entries = chunk.iter().enumerate().map(|(i, receipt)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(receipt)
                    .visibility_timeout(visibility.as_secs() as i32)
                    .build()
                    .expect("id and receipt are set")
            });
            let answer = self
                .sqs
                .change_message_visibility_batch()
                .queue_url(self.queue_url)
                .set_entries(Some(entries.collect()))
                .send()
                .await;
            let answer = answer.map(|out| (out.successful.into_iter().map(|s| s.id).collect(), out.failed));
            unchanged += entry_errors(chunk.len(), answer).len();
        }
        unchanged
    }
}

/// SQS' answer to a batch request: the ids of the entries it reports successful, and the failed
/// entries.
pub type BatchAnswer = (Vec<String>, Vec<aws_sdk_sqs::types::BatchResultErrorEntry>);

/// The failed entries of a batch request (entry ids are their indices), by entry index: those
/// SQS listed as failed, those it listed nowhere (only an entry listed as successful counts as
/// done), or every entry when the request itself failed.
pub fn entry_errors<E: std::error::Error>(
    entries: usize,
    answer: Result<BatchAnswer, E>,
) -> HashMap<usize, String> {
    match answer {
        Ok((successful, failed)) => {
            let mut errors: HashMap<usize, String> = (0..entries)
                .map(|i| {
                    (
                        i,
                        "SQS reported neither success nor failure for this entry".to_owned(),
                    )
                })
                .collect();
            for id in successful {
                if let Ok(index) = id.parse::<usize>() {
                    errors.remove(&index);
                }
            }
            for f in failed {
                if let Ok(index) = f.id.parse::<usize>() {
                    errors.insert(index, format!("{}: {}", f.code, f.message.unwrap_or_default()));
                }
            }
            errors
        }
        Err(e) => {
            let reason = DisplayErrorContext(&e).to_string();
            (0..entries).map(|i| (i, reason.clone())).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::types::BatchResultErrorEntry;

    #[test]
    fn only_entries_reported_successful_are_done() {
        let failed = BatchResultErrorEntry::builder()
            .id("1")
            .code("InternalError")
            .sender_fault(false)
            .build()
            .unwrap();
        let answer: Result<BatchAnswer, std::fmt::Error> = Ok((vec!["0".into()], vec![failed]));
        let errors = entry_errors(3, answer);
        assert_eq!(errors.len(), 2);
        assert!(errors[&1].starts_with("InternalError"));
        assert!(errors[&2].contains("neither success nor failure"), "{errors:?}");
    }
}
