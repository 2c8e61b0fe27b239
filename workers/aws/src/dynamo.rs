//! Connection records, subscriptions, results and idempotency records in DynamoDB.
//!
//! Connections table: key (`connectionId`, `sk`); the record `$connect` writes has
//! `sk = "conn"`, a subscription has `sk = "topic#<name>"` and a `topic` attribute indexed by
//! the `byTopic` GSI (sparse: only subscriptions carry `topic`).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use wsflow_core::envelope::now_millis;
use wsflow_core::ports::{Claim, ConnectionStore, IdempotencyStore, PortError, ResultStore};
use wsflow_core::Job;

use crate::errors::classify;

/// The connections table's global secondary index on `topic`, queried for a topic's subscribers.
pub const TOPIC_INDEX: &str = "byTopic";
const CONNECTION_SK: &str = "conn";
const SUBSCRIPTION_TTL: Duration = Duration::from_secs(24 * 3600);

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn epoch_seconds_in(d: Duration) -> u64 {
    now_millis() / 1000 + d.as_secs()
}

fn subscription_sk(topic: &str) -> String {
    format!("topic#{topic}")
}

/// [`ConnectionStore`] on the connections table (see the module documentation). A subscription
/// carries a DynamoDB `ttl` a day ahead; forgetting a connection deletes every item it has.
pub struct DynamoConnections {
    client: Client,
    table: String,
}

impl DynamoConnections {
    /// The store on the connections table named `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoConnections {
            client,
            table: table.into(),
        }
    }

    async fn delete(&self, connection_id: &str, sk: String) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("connectionId", s(connection_id))
            .key("sk", s(sk))
            .send()
            .await
            .map(drop)
            .map_err(classify)
    }

    /// Every sort key stored for a connection: its record and its subscriptions.
    async fn sort_keys(&self, connection_id: &str) -> Result<Vec<String>, PortError> {
        let pages: Vec<_> = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("connectionId = :c")
            .expression_attribute_values(":c", s(connection_id))
            .projection_expression("sk")
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        pages
            .into_iter()
            .map(|item| {
                let item = item.map_err(classify)?;
                Ok(item
                    .get("sk")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default())
            })
            .collect()
    }
}

#[async_trait]
impl ConnectionStore for DynamoConnections {
    async fn forget(&self, connection_id: &str) -> Result<(), PortError> {
        let mut keys = self.sort_keys(connection_id).await?;
        if !keys.iter().any(|k| k == CONNECTION_SK) {
            keys.push(CONNECTION_SK.to_owned());
        }
        for sk in keys {
            self.delete(connection_id, sk).await?;
        }
        Ok(())
    }

    async fn subscribe(&self, connection_id: &str, topic: &str) -> Result<(), PortError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("connectionId", s(connection_id))
            .item("sk", s(subscription_sk(topic)))
            .item("topic", s(topic))
            .item("subscribedAt", n(now_millis()))
            .item("ttl", n(epoch_seconds_in(SUBSCRIPTION_TTL)))
            .send()
            .await
            .map(drop)
            .map_err(classify)
    }

    async fn unsubscribe(&self, connection_id: &str, topic: &str) -> Result<(), PortError> {
        self.delete(connection_id, subscription_sk(topic)).await
    }

    async fn subscribers(&self, topic: &str) -> Result<Vec<String>, PortError> {
        let items: Vec<_> = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(TOPIC_INDEX)
            .key_condition_expression("topic = :t")
            .expression_attribute_values(":t", s(topic))
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        items
            .into_iter()
            .map(|item| {
                let item = item.map_err(classify)?;
                item.get("connectionId")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .ok_or_else(|| PortError::Permanent("subscription without connectionId".into()))
            })
            .collect()
    }
}

/// [`ResultStore`] on the results table: one item per `requestId` (the key) with `connectionId`,
/// `data` as a JSON string, and `receivedAt` and `storedAt` in epoch milliseconds. Storing the
/// same job again overwrites its item.
pub struct DynamoResults {
    client: Client,
    table: String,
}

impl DynamoResults {
    /// The store on the results table named `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoResults {
            client,
            table: table.into(),
        }
    }
}

#[async_trait]
impl ResultStore for DynamoResults {
    async fn put(&self, job: &Job) -> Result<(), PortError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("requestId", s(&job.request_id))
            .item("connectionId", s(&job.connection_id))
            .item("data", s(job.data.to_string()))
            .item("receivedAt", n(job.received_at))
            .item("storedAt", n(now_millis()))
            .send()
            .await
            .map(drop)
            .map_err(classify)
    }
}

const IN_PROGRESS: &str = "IN_PROGRESS";
const COMPLETED: &str = "COMPLETED";

/// [`IdempotencyStore`] on the idempotency table, keyed by `id`: a claim is a conditional put of
/// `status = IN_PROGRESS` with `lockExpiresAt` (epoch milliseconds) that also takes over expired
/// records and dead claims, completion a put of `COMPLETED`, a release a delete. Every record
/// carries a DynamoDB `ttl` (epoch seconds).
pub struct DynamoIdempotency {
    client: Client,
    table: String,
    ttl: Duration,
    lock: Duration,
}

impl DynamoIdempotency {
    /// The store on the table named `table`: records live for `ttl`, and a claim blocks other
    /// deliveries for `lock`.
    pub fn new(client: Client, table: impl Into<String>, ttl: Duration, lock: Duration) -> Self {
        DynamoIdempotency {
            client,
            table: table.into(),
            ttl,
            lock,
        }
    }

    async fn status(&self, key: &str) -> Result<Option<String>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(out
            .item
            .and_then(|item| item.get("status").and_then(|v| v.as_s().ok()).cloned()))
    }
}

#[async_trait]
impl IdempotencyStore for DynamoIdempotency {
    async fn claim(&self, key: &str) -> Result<Claim, PortError> {
        let now = now_millis();
        // Free: no record, a record past its TTL (DynamoDB deletes expired items lazily), or a
        // claim whose holder died before its lock expired.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("id", s(key))
            .item("status", s(IN_PROGRESS))
            .item("lockExpiresAt", n(now + self.lock.as_millis() as u64))
            .item("ttl", n(epoch_seconds_in(self.ttl)))
            .condition_expression(
                "attribute_not_exists(id) OR #ttl < :now_s OR (#status = :in_progress AND lockExpiresAt < :now_ms)",
            )
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":now_s", n(now / 1000))
            .expression_attribute_values(":now_ms", n(now))
            .expression_attribute_values(":in_progress", s(IN_PROGRESS))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Acquired),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                match self.status(key).await?.as_deref() {
                    Some(COMPLETED) => Ok(Claim::AlreadyDone),
                    Some(_) => Ok(Claim::InProgress),
                    // Released between our put and our read: let the redelivery claim it.
                    None => Ok(Claim::InProgress),
                }
            }
            Err(e) => Err(classify(e)),
        }
    }

    async fn complete(&self, key: &str) -> Result<(), PortError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("id", s(key))
            .item("status", s(COMPLETED))
            .item("completedAt", n(now_millis()))
            .item("ttl", n(epoch_seconds_in(self.ttl)))
            .send()
            .await
            .map(drop)
            .map_err(classify)
    }

    async fn release(&self, key: &str) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("id", s(key))
            .send()
            .await
            .map(drop)
            .map_err(classify)
    }
}
