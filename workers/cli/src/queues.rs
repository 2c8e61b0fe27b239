//! Naming queues on the command line: a URL, or a name looked up in the account.

use std::collections::HashMap;

use anyhow::Context as _;
use aws_sdk_sqs::types::QueueAttributeName;

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

/// Reads queue attributes; the error names the queue, so a wrong URL is reported here.
pub async fn attributes(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    names: &[QueueAttributeName],
) -> anyhow::Result<HashMap<QueueAttributeName, String>> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .set_attribute_names(Some(names.to_vec()))
        .send()
        .await
        .with_context(|| format!("reading the attributes of queue {queue_url}"))?;
    Ok(out.attributes.unwrap_or_default())
}

/// A numeric attribute from `attributes`' answer (0 when absent).
pub fn count(attributes: &HashMap<QueueAttributeName, String>, name: &QueueAttributeName) -> u64 {
    attributes.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
}
