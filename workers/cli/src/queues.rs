//! Naming queues on the command line: a URL, or a name looked up in the account.

use anyhow::Context as _;

/// Resolves `--queue` (URL or name) to a queue URL.
pub async fn resolve(sqs: &aws_sdk_sqs::Client, queue: &str) -> anyhow::Result<String> {
    if queue.starts_with("https://") || queue.starts_with("http://") {
        return Ok(queue.to_owned());
    }
    let out = sqs
        .get_queue_url()
        .queue_name(queue)
        .send()
        .await
        .with_context(|| format!("no queue named `{queue}`"))?;
    out.queue_url
        .with_context(|| format!("queue `{queue}` has no URL"))
}
