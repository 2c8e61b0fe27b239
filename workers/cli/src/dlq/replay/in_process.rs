//! `--in-process`: running the worker's handler on dead letters instead of re-queueing them.

use aws_sdk_sqs::types::Message;
use tracing_subscriber::EnvFilter;
use wsflow_aws::poller::record_from_message;
use wsflow_core::{BatchProcessor, Record};

use crate::context::Context;

const HANDLER_FAILED: &str = "the worker's handler failed; the job stays in the DLQ";

pub struct InProcess {
    processor: BatchProcessor,
}

impl InProcess {
    /// The worker as `wsflow worker` builds it, from the same environment variables. A job that
    /// fails permanently is forwarded to `DLQ_URL` by the handler itself, as in the Lambda.
    pub fn from_env(context: &Context) -> anyhow::Result<InProcess> {
        let processor = context.worker_processor()?;
        // The handler explains its failures in its logs; stderr keeps stdout for the summary.
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(filter)
            .try_init();
        Ok(InProcess { processor })
    }

    /// Runs the batch (groups in order, a group stopping at its first failure); one result per
    /// message, `Ok` where the handler is done with the job.
    pub async fn run(&self, messages: &[Message]) -> Vec<Result<(), String>> {
        let records: Vec<Record> = messages.iter().cloned().map(record_from_message).collect();
        let failed = self.processor.process(&records, None).await;
        records
            .iter()
            .map(|r| match failed.contains(&r.message_id) {
                true => Err(HANDLER_FAILED.to_owned()),
                false => Ok(()),
            })
            .collect()
    }
}
