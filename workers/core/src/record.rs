//! One queue message, whether it came from a Lambda SQS event or from `ReceiveMessage`.

use std::collections::BTreeMap;

/// An SQS message as the processor needs it, built by [`Record::from_sqs`] from either source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// SQS `MessageId`: what `batchItemFailures` and the poll loop's deletes refer to.
    pub message_id: String,
    /// FIFO `MessageGroupId`; `None` on standard queues, where every message stands alone.
    pub group_id: Option<String>,
    /// FIFO `MessageDeduplicationId`; `None` on standard queues. Not the job's identity: SQS
    /// replaces it when it dead-letters the message (see [`Job::key`](crate::Job::key)).
    pub dedup_id: Option<String>,
    /// SQS `ApproximateReceiveCount`: 1 on the first delivery.
    pub receive_count: u32,
    /// The message body, normally a job envelope (see [`Job::parse`](crate::Job::parse)).
    pub body: String,
    /// String message attributes (binary ones are not used by wsflow).
    pub attributes: BTreeMap<String, String>,
}

impl Record {
    /// The one conversion from an SQS message, whether read from a Lambda SQS event or from
    /// `ReceiveMessage`: `system` looks up a system attribute by its SQS name
    /// (`MessageGroupId`, …); `attributes` are the message's string attributes.
    pub fn from_sqs(
        message_id: String,
        body: String,
        system: impl Fn(&str) -> Option<String>,
        attributes: impl IntoIterator<Item = (String, String)>,
    ) -> Record {
        Record {
            message_id,
            group_id: system("MessageGroupId"),
            dedup_id: system("MessageDeduplicationId"),
            // SQS counts from 1; a missing count is a first receive.
            receive_count: system("ApproximateReceiveCount")
                .and_then(|c| c.parse().ok())
                .unwrap_or(1),
            body,
            attributes: attributes.into_iter().collect(),
        }
    }
}
