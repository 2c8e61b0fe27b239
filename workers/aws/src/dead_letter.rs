//! Forwarding permanently failed jobs to the dead-letter queue.

use async_trait::async_trait;
use aws_sdk_sqs::types::MessageAttributeValue;
use aws_sdk_sqs::Client;
use wsflow_core::envelope::now_millis;
use wsflow_core::ports::{dead_letter_attributes, DeadLetterQueue, PortError};
use wsflow_core::{Failure, Record};

use crate::errors::classify;

/// [`DeadLetterQueue`] on SQS `SendMessage`: the original body, the [`dead_letter_attributes`] as
/// `String` message attributes and, on a FIFO queue, the original message group (else the
/// message id) with the message id as deduplication id.
pub struct SqsDeadLetters {
    client: Client,
    queue_url: String,
}

impl SqsDeadLetters {
    /// Forwards to the queue at `queue_url`, a FIFO queue when the URL ends in `.fifo`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        SqsDeadLetters {
            client,
            queue_url: queue_url.into(),
        }
    }
}

/// Whether the queue URL names a FIFO queue (their names end in `.fifo`), which needs a
/// message group id on every send.
pub fn is_fifo(queue_url: &str) -> bool {
    queue_url.ends_with(".fifo")
}

/// An SQS message attribute of data type `String` holding `value`.
pub fn string_attribute(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .expect("data type is set")
}

#[async_trait]
impl DeadLetterQueue for SqsDeadLetters {
    async fn forward(&self, record: &Record, failure: &Failure) -> Result<(), PortError> {
        let mut send = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(&record.body);
        for (name, value) in dead_letter_attributes(record, failure, now_millis()) {
            send = send.message_attributes(name, string_attribute(&value));
        }
        if is_fifo(&self.queue_url) {
            // Same group keeps the dead letters of one connection in order; the message id as
            // dedup id makes a repeated forward (after a crash) a no-op for five minutes.
            let group = record.group_id.as_deref().unwrap_or(&record.message_id);
            send = send
                .message_group_id(group)
                .message_deduplication_id(&record.message_id);
        }
        send.send().await.map(drop).map_err(classify)
    }
}
