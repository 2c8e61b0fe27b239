//! FIFO-aware partial batch processing: ordered within a message group, concurrent across
//! groups, and a group stops at its first failure so that no message overtakes an earlier one.

use std::time::Duration;

use futures::stream::{self, StreamExt};

use crate::envelope::now_millis;
use crate::handler::{Disposition, JobHandler};
use crate::record::Record;

/// Runs the records of one batch (a Lambda SQS event or a `ReceiveMessage` answer) through a
/// [`JobHandler`], group by group; see [`BatchProcessor::process`].
#[derive(Clone)]
pub struct BatchProcessor {
    handler: JobHandler,
    group_concurrency: usize,
}

impl BatchProcessor {
    /// A processor that runs up to `group_concurrency` message groups at once (at least 1).
    pub fn new(handler: JobHandler, group_concurrency: usize) -> Self {
        BatchProcessor {
            handler,
            group_concurrency: group_concurrency.max(1),
        }
    }

    /// The handler each message goes through.
    pub fn handler(&self) -> &JobHandler {
        &self.handler
    }

    /// Processes a batch and returns the message ids to report as `batchItemFailures`, in
    /// batch order: each group's first failure and every later message of that group. With a
    /// `deadline` (epoch milliseconds, a Lambda invocation's), no job starts too close to it
    /// (see [`HandlerConfig::deadline_reserve`](crate::HandlerConfig::deadline_reserve)): the
    /// jobs not started are reported too, so the batch is not killed half done.
    pub async fn process(&self, records: &[Record], deadline: Option<u64>) -> Vec<String> {
        // Futures are built before they enter the stream: a closure inside the stream would make
        // the whole future lose `Send` (rust-lang/rust#102211).
        let groups: Vec<_> = group_indices(records)
            .into_iter()
            .map(|indices| self.process_group(records, indices, deadline))
            .collect();
        let failed: Vec<Vec<usize>> = stream::iter(groups)
            .buffer_unordered(self.group_concurrency)
            .collect()
            .await;
        let mut failed: Vec<usize> = failed.into_iter().flatten().collect();
        failed.sort_unstable();
        failed
            .into_iter()
            .map(|i| records[i].message_id.clone())
            .collect()
    }

    /// Runs one group in order; returns the indices left unprocessed or failed.
    async fn process_group(
        &self,
        records: &[Record],
        indices: Vec<usize>,
        deadline: Option<u64>,
    ) -> Vec<usize> {
        for (position, &index) in indices.iter().enumerate() {
            if !self.handler.may_start(deadline) {
                tracing::info!(
                    not_started = indices.len() - position,
                    "too close to the invocation deadline; the group's remaining messages return to the queue"
                );
                return indices[position..].to_vec();
            }
            if self.handle_before(&records[index], deadline).await == Disposition::Retry {
                let skipped = indices.len() - position - 1;
                if skipped > 0 {
                    tracing::info!(
                        message_id = %records[index].message_id,
                        skipped,
                        "group stopped at a failed message; later messages return to the queue"
                    );
                }
                return indices[position..].to_vec();
            }
        }
        Vec::new()
    }
}

/// Time kept after cutting a job off at the deadline, to send the invocation's response.
const RESPONSE_MARGIN: Duration = Duration::from_secs(1);

impl BatchProcessor {
    /// Handles one record, cut off shortly before `deadline`: a job still running then comes
    /// back as a failure (its claim lasts until the deadline, so no other delivery runs it
    /// meanwhile) instead of the whole invocation being killed with the batch in hand.
    async fn handle_before(&self, record: &Record, deadline: Option<u64>) -> Disposition {
        let handling = self.handler.handle(record, deadline);
        let Some(deadline) = deadline else {
            return handling.await;
        };
        let left = Duration::from_millis(deadline.saturating_sub(now_millis()));
        match tokio::time::timeout(left.saturating_sub(RESPONSE_MARGIN), handling).await {
            Ok(disposition) => disposition,
            Err(_) => {
                tracing::warn!(message_id = %record.message_id, "job cut off at the invocation deadline");
                Disposition::Retry
            }
        }
    }
}

/// Indices of the records of each message group, groups in order of first appearance. Messages
/// without a group (standard queues) form groups of one.
fn group_indices(records: &[Record]) -> Vec<Vec<usize>> {
    let mut groups: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let group = record.group_id.as_deref();
        match groups.iter_mut().find(|(g, _)| group.is_some() && *g == group) {
            Some((_, members)) => members.push(index),
            None => groups.push((group, vec![index])),
        }
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, group: Option<&str>) -> Record {
        Record {
            message_id: id.into(),
            group_id: group.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn groups_keep_batch_order_and_ungrouped_messages_stand_alone() {
        let records = [
            rec("1", Some("a")),
            rec("2", Some("b")),
            rec("3", None),
            rec("4", Some("a")),
            rec("5", None),
            rec("6", Some("b")),
        ];
        assert_eq!(
            group_indices(&records),
            vec![vec![0, 3], vec![1, 5], vec![2], vec![4]]
        );
    }
}
