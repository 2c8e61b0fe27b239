//! The queues and tables the worker needs, created on a backend with the same shapes the CDK
//! stack deploys (see cdk/): a FIFO queue with a FIFO dead-letter queue, and three tables.

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;

/// The names of the worker's queues and tables on a backend (see [`WorkerResources::create`]).
#[derive(Debug, Clone)]
pub struct WorkerResources {
    /// URL of the jobs queue (`{prefix}-jobs.fifo`), which redrives to the dead-letter queue.
    pub queue_url: String,
    /// URL of the dead-letter queue (`{prefix}-jobs-dlq.fifo`).
    pub dlq_url: String,
    /// The connections table (`{prefix}-connections`): key `connectionId` + `sk`, index
    /// `byTopic`, TTL on `ttl`.
    pub connections_table: String,
    /// The results table (`{prefix}-results`): key `requestId`.
    pub results_table: String,
    /// The idempotency table (`{prefix}-idempotency`): key `id`, TTL on `ttl`.
    pub idempotency_table: String,
}

impl WorkerResources {
    /// Creates everything under names starting with `prefix`: the jobs queue dead-letters a
    /// message after `max_receive_count` receives, and hides a received one for
    /// `visibility_timeout_s` seconds.
    pub async fn create(
        sdk: &SdkConfig,
        prefix: &str,
        max_receive_count: u32,
        visibility_timeout_s: u32,
    ) -> anyhow::Result<Self> {
        let sqs = aws_sdk_sqs::Client::new(sdk);
        let dlq_url = create_fifo_queue(&sqs, &format!("{prefix}-jobs-dlq.fifo"), BTreeMap::new()).await?;
        let dlq_arn = queue_arn(&sqs, &dlq_url).await?;
        let redrive =
            serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count });
        let queue_url = create_fifo_queue(
            &sqs,
            &format!("{prefix}-jobs.fifo"),
            BTreeMap::from([
                (QueueAttributeName::RedrivePolicy, redrive.to_string()),
                (
                    QueueAttributeName::VisibilityTimeout,
                    visibility_timeout_s.to_string(),
                ),
            ]),
        )
        .await?;
        let ddb = aws_sdk_dynamodb::Client::new(sdk);
        let resources = WorkerResources {
            queue_url,
            dlq_url,
            connections_table: format!("{prefix}-connections"),
            results_table: format!("{prefix}-results"),
            idempotency_table: format!("{prefix}-idempotency"),
        };
        create_connections_table(&ddb, &resources.connections_table).await?;
        create_table(&ddb, &resources.results_table, "requestId", None).await?;
        create_table(&ddb, &resources.idempotency_table, "id", Some("ttl")).await?;
        Ok(resources)
    }

    /// The worker's environment variables for these resources.
    pub fn worker_env(&self, callback_url: &str) -> BTreeMap<&'static str, String> {
        BTreeMap::from([
            ("CONNECTIONS_TABLE", self.connections_table.clone()),
            ("RESULTS_TABLE", self.results_table.clone()),
            ("IDEMPOTENCY_TABLE", self.idempotency_table.clone()),
            ("DLQ_URL", self.dlq_url.clone()),
            ("CALLBACK_URL", callback_url.to_owned()),
        ])
    }
}

async fn create_fifo_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    mut attributes: BTreeMap<QueueAttributeName, String>,
) -> anyhow::Result<String> {
    attributes.insert(QueueAttributeName::FifoQueue, "true".into());
    let out = sqs
        .create_queue()
        .queue_name(name)
        .set_attributes(Some(attributes.into_iter().collect()))
        .send()
        .await?;
    Ok(out.queue_url.unwrap_or_default())
}

/// SQS' approximate counts of a queue: (visible, in flight).
pub async fn queue_depth(sqs: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<(usize, usize)> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await?;
    let attributes = out.attributes.unwrap_or_default();
    let count = |name| -> anyhow::Result<usize> {
        Ok(attributes.get(&name).map(|v| v.parse()).transpose()?.unwrap_or(0))
    };
    Ok((
        count(QueueAttributeName::ApproximateNumberOfMessages)?,
        count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)?,
    ))
}

/// The ARN (`QueueArn` attribute) of the queue at `url`.
pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<String> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?;
    out.attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| anyhow::anyhow!("queue {url} has no ARN"))
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("name and type are set")
}

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("name and type are set")
}

async fn create_table(
    ddb: &aws_sdk_dynamodb::Client,
    name: &str,
    partition_key: &str,
    ttl_attribute: Option<&str>,
) -> anyhow::Result<()> {
    ddb.create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(partition_key, KeyType::Hash))
        .attribute_definitions(string_attribute(partition_key))
        .send()
        .await?;
    if let Some(attribute) = ttl_attribute {
        enable_ttl(ddb, name, attribute).await?;
    }
    Ok(())
}

async fn create_connections_table(ddb: &aws_sdk_dynamodb::Client, name: &str) -> anyhow::Result<()> {
    let by_topic = GlobalSecondaryIndex::builder()
        .index_name("byTopic")
        .key_schema(key("topic", KeyType::Hash))
        .key_schema(key("connectionId", KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::KeysOnly)
                .build(),
        )
        .build()?;
    ddb.create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("connectionId", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(string_attribute("connectionId"))
        .attribute_definitions(string_attribute("sk"))
        .attribute_definitions(string_attribute("topic"))
        .global_secondary_indexes(by_topic)
        .send()
        .await?;
    enable_ttl(ddb, name, "ttl").await
}

async fn enable_ttl(ddb: &aws_sdk_dynamodb::Client, table: &str, attribute: &str) -> anyhow::Result<()> {
    ddb.update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(attribute)
                .build()?,
        )
        .send()
        .await?;
    Ok(())
}
