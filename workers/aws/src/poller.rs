//! Poll mode: the batch processor run outside Lambda against `ReceiveMessage`, with the same
//! semantics as the Lambda event source (a failed message stays on the queue and reappears
//! after its visibility timeout, so SQS' redrive policy still dead-letters it).

use std::time::Duration;

use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message,
    MessageSystemAttributeName,
};
use aws_sdk_sqs::Client;
use tokio::sync::watch;
use tracing::{info, warn};
use wsflow_core::{BatchProcessor, Record};

use crate::errors::classify;

/// How [`run`] reads the queue.
#[derive(Debug, Clone)]
pub struct PollOptions {
    /// The URL of the queue to poll.
    pub queue_url: String,
    /// Messages per `ReceiveMessage`, 1 to 10.
    pub batch_size: i32,
    /// Long-poll wait, 0 to 20 seconds.
    pub wait_seconds: i32,
    /// Visibility timeout requested on receive; renewed while a batch runs longer than half of it.
    pub visibility_timeout: Duration,
}

/// Message counts over a whole [`run`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollStats {
    /// Messages received and processed.
    pub received: usize,
    /// Messages whose job succeeded and whose deletion SQS confirmed.
    pub deleted: usize,
    /// Messages the processor reported failed, left on the queue to reappear after their
    /// visibility timeout.
    pub returned: usize,
}

/// Receives and processes batches until `shutdown` turns true. A batch in hand is always
/// finished; only messages whose job succeeded are deleted.
pub async fn run(
    sqs: &Client,
    processor: &BatchProcessor,
    options: &PollOptions,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<PollStats> {
    let mut stats = PollStats::default();
    while !*shutdown.borrow() {
        let receive = receive(sqs, options);
        let messages = tokio::select! {
            _ = shutdown.changed() => break,
            result = receive => match result {
                Ok(messages) => messages,
                Err(e) => {
                    warn!(error = %e, "receive failed; backing off");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        if messages.is_empty() {
            continue;
        }
        let batch = Batch::new(messages);
        let failed = process_with_heartbeat(sqs, processor, options, &batch).await;
        stats.received += batch.records.len();
        stats.returned += failed.len();
        stats.deleted += delete_succeeded(sqs, &options.queue_url, &batch, &failed).await;
    }
    info!(?stats, "poll loop stopped");
    Ok(stats)
}

async fn receive(sqs: &Client, options: &PollOptions) -> anyhow::Result<Vec<Message>> {
    let out = sqs
        .receive_message()
        .queue_url(&options.queue_url)
        .max_number_of_messages(options.batch_size)
        .wait_time_seconds(options.wait_seconds)
        .visibility_timeout(options.visibility_timeout.as_secs() as i32)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .map_err(classify)?;
    Ok(out.messages.unwrap_or_default())
}

struct Batch {
    records: Vec<Record>,
    receipts: Vec<String>,
}

impl Batch {
    fn new(messages: Vec<Message>) -> Batch {
        let receipts = messages
            .iter()
            .map(|m| m.receipt_handle().unwrap_or_default().to_owned())
            .collect();
        let records = messages.into_iter().map(record_from_message).collect();
        Batch { records, receipts }
    }
}

/// Runs the batch while renewing its visibility, so a long job is not redelivered mid-run.
async fn process_with_heartbeat(
    sqs: &Client,
    processor: &BatchProcessor,
    options: &PollOptions,
    batch: &Batch,
) -> Vec<String> {
    let period = (options.visibility_timeout / 2).max(Duration::from_secs(1));
    let work = processor.process(&batch.records, None);
    tokio::pin!(work);
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            failed = &mut work => return failed,
            _ = ticker.tick() => extend_visibility(sqs, options, batch).await,
        }
    }
}

async fn extend_visibility(sqs: &Client, options: &PollOptions, batch: &Batch) {
    let entries = batch.receipts.iter().enumerate().map(|(i, receipt)| {
        ChangeMessageVisibilityBatchRequestEntry::builder()
            .id(i.to_string())
            .receipt_handle(receipt)
            .visibility_timeout(options.visibility_timeout.as_secs() as i32)
            .build()
            .expect("id and receipt are set")
    });
    let result = sqs
        .change_message_visibility_batch()
        .queue_url(&options.queue_url)
        .set_entries(Some(entries.collect()))
        .send()
        .await;
    if let Err(e) = result {
        warn!(error = %classify(e), "could not extend the batch's visibility");
    }
}

/// Deletes the messages whose job succeeded; returns how many SQS confirmed.
async fn delete_succeeded(sqs: &Client, queue_url: &str, batch: &Batch, failed: &[String]) -> usize {
    let entries: Vec<_> = batch
        .records
        .iter()
        .zip(&batch.receipts)
        .enumerate()
        .filter(|(_, (record, _))| !failed.contains(&record.message_id))
        .map(|(i, (_, receipt))| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(receipt)
                .build()
                .expect("id and receipt are set")
        })
        .collect();
    if entries.is_empty() {
        return 0;
    }
    match sqs
        .delete_message_batch()
        .queue_url(queue_url)
        .set_entries(Some(entries))
        .send()
        .await
    {
        Ok(out) => {
            for failure in out.failed() {
                // The job is done and recorded; the redelivery is acknowledged by idempotency.
                warn!(
                    entry = failure.id(),
                    code = failure.code(),
                    "delete failed; the message will be redelivered"
                );
            }
            out.successful().len()
        }
        Err(e) => {
            warn!(error = %classify(e), "delete failed; the batch will be redelivered");
            0
        }
    }
}

/// A `ReceiveMessage` message as a processor record.
pub fn record_from_message(message: Message) -> Record {
    let system = message.attributes.unwrap_or_default();
    let attributes = message
        .message_attributes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(name, value)| value.string_value.map(|v| (name, v)));
    Record::from_sqs(
        message.message_id.unwrap_or_default(),
        message.body.unwrap_or_default(),
        |name| system.get(&MessageSystemAttributeName::from(name)).cloned(),
        attributes,
    )
}
