//! The queues that dead-letter into a DLQ: the default replay target and part of `stats`.

use anyhow::Context as _;
use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;
use serde_json::Value;

use crate::queues;

/// Queues whose redrive policy names `dlq_url`, sorted. Uses `ListDeadLetterSourceQueues`;
/// backends without it get the same answer from every queue's `RedrivePolicy`.
pub async fn sources(sqs: &Client, dlq_url: &str) -> anyhow::Result<Vec<String>> {
    let mut urls = match listed_sources(sqs, dlq_url).await {
        Ok(urls) => urls,
        Err(listing) => redrive_sources(sqs, dlq_url).await.with_context(|| {
            format!("ListDeadLetterSourceQueues failed ({listing:#}); so did reading redrive policies")
        })?,
    };
    urls.sort();
    Ok(urls)
}

/// The single source queue, for `replay` without `--to`.
pub async fn only_source(sqs: &Client, dlq_url: &str) -> anyhow::Result<String> {
    let mut urls = sources(sqs, dlq_url).await?;
    match urls.len() {
        1 => Ok(urls.remove(0)),
        0 => anyhow::bail!(
            "no queue dead-letters into {dlq_url} (no redrive policy names it); pass --to <queue>"
        ),
        _ => anyhow::bail!(
            "several queues dead-letter into {dlq_url}; pass --to with one of: {}",
            urls.join(", ")
        ),
    }
}

async fn listed_sources(sqs: &Client, dlq_url: &str) -> anyhow::Result<Vec<String>> {
    let mut pages = sqs
        .list_dead_letter_source_queues()
        .queue_url(dlq_url)
        .into_paginator()
        .send();
    let mut urls = Vec::new();
    while let Some(page) = pages.next().await {
        urls.extend(page?.queue_urls);
    }
    Ok(urls)
}

async fn redrive_sources(sqs: &Client, dlq_url: &str) -> anyhow::Result<Vec<String>> {
    let arn_attribute = [QueueAttributeName::QueueArn];
    let dlq_arn = queues::attributes(sqs, dlq_url, &arn_attribute)
        .await?
        .remove(&QueueAttributeName::QueueArn)
        .with_context(|| format!("queue {dlq_url} has no ARN"))?;
    let mut pages = sqs.list_queues().into_paginator().send();
    let mut sources = Vec::new();
    while let Some(page) = pages.next().await {
        for url in page?.queue_urls.unwrap_or_default() {
            let policy = queues::attributes(sqs, &url, &[QueueAttributeName::RedrivePolicy]).await?;
            if policy
                .get(&QueueAttributeName::RedrivePolicy)
                .is_some_and(|p| names_target(p, &dlq_arn))
            {
                sources.push(url);
            }
        }
    }
    Ok(sources)
}

/// Whether a `RedrivePolicy` attribute (JSON) dead-letters into `dlq_arn`.
fn names_target(policy: &str, dlq_arn: &str) -> bool {
    serde_json::from_str::<Value>(policy)
        .ok()
        .and_then(|p| p.get("deadLetterTargetArn")?.as_str().map(|a| a == dlq_arn))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redrive_policy_names_its_target_by_arn() {
        let arn = "arn:aws:sqs:us-east-1:000000000000:jobs-dlq.fifo";
        let policy = format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":3}}"#);
        assert!(names_target(&policy, arn));
        assert!(!names_target(&policy, "arn:aws:sqs:us-east-1:000000000000:other"));
        assert!(!names_target("not json", arn));
    }
}
