//! One queue message, whether it came from a Lambda SQS event or from `ReceiveMessage`.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub message_id: String,
    /// FIFO `MessageGroupId`; `None` on standard queues, where every message stands alone.
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
    pub receive_count: u32,
    pub body: String,
    /// String message attributes (binary ones are not used by wsflow).
    pub attributes: BTreeMap<String, String>,
}

impl Record {
    /// The key that identifies the job across redeliveries: the producer's deduplication id
    /// (the route's request id, the workflow's execution name) or else the SQS message id.
    pub fn idempotency_key(&self) -> &str {
        self.dedup_id.as_deref().unwrap_or(&self.message_id)
    }
}
