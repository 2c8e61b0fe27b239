//! Connection records, subscriptions, results and idempotency records in DynamoDB.
//!
//! Connections table: key (`connectionId`, `sk`); the record `$connect` writes has
//! `sk = "conn"`, a subscription has `sk = "topic#<name>"` and a `topic` attribute indexed by
//! the `byTopic` GSI (sparse: only subscriptions carry `topic`).

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use wsflow_core::envelope::now_millis;
use wsflow_core::envelope::JobKey;
use wsflow_core::ports::{
    Claim, ClaimToken, ConnectionStore, FanoutProgress, IdempotencyStore, PortError, ResultStore,
};
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
/// The attributes of a broadcast's progress: connection ids delivered to, found gone, failed.
const FANOUT_SETS: [&str; 3] = ["fanoutDelivered", "fanoutPruned", "fanoutFailed"];

/// [`IdempotencyStore`] on the idempotency table, keyed by `id` (the [`JobKey`]'s key).
/// - A claim sets `status = IN_PROGRESS`, the payload hash, a claim token and `lockExpiresAt`
///   (epoch milliseconds) in one conditional update, which also takes over a claim of the same
///   payload whose lock expired, keeping its fan-out progress; a record past its TTL is replaced.
/// - Fan-out progress: the string sets of connection ids `fanoutDelivered`, `fanoutPruned`
///   and `fanoutFailed`, added to under the claim token (adding to a set twice is harmless).
/// - Completion puts `COMPLETED` with the result still to deliver (`pendingReply`, binary),
///   removed once it is delivered.
/// - A release expires the lock (conditioned on the claim token), so the next delivery takes
///   the job over at once and keeps its progress.
///
/// Every record carries a DynamoDB `ttl` (epoch seconds). A broadcast's progress lives in one
/// item, so it is bounded by DynamoDB's 400 KB item size: about 15,000 subscribers of 22-byte
/// connection ids.
pub struct DynamoIdempotency {
    client: Client,
    table: String,
    ttl: Duration,
}

/// An idempotency record as read back.
struct Stored {
    status: Option<String>,
    payload_hash: Option<String>,
    claim_token: Option<String>,
    ttl_seconds: Option<u64>,
    pending_reply: Option<Vec<u8>>,
    progress: FanoutProgress,
}

type Item = std::collections::HashMap<String, AttributeValue>;

impl Stored {
    fn from_item(item: &Item) -> Stored {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let number = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<u64>().ok())
        };
        let ids = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_ss().ok())
                .map(|ids| ids.iter().cloned().collect())
                .unwrap_or_default()
        };
        Stored {
            status: text("status"),
            payload_hash: text("payloadHash"),
            claim_token: text("claimToken"),
            ttl_seconds: number("ttl"),
            pending_reply: item
                .get("pendingReply")
                .and_then(|v| v.as_b().ok())
                .map(|b| b.as_ref().to_vec()),
            progress: FanoutProgress {
                delivered: ids(FANOUT_SETS[0]),
                pruned: ids(FANOUT_SETS[1]),
                failed: ids(FANOUT_SETS[2]),
            },
        }
    }

    fn expired(&self, now_ms: u64) -> bool {
        self.ttl_seconds.is_some_and(|ttl| ttl < now_ms / 1000)
    }
}

impl DynamoIdempotency {
    /// The store on the table named `table`; records live for `ttl`.
    pub fn new(client: Client, table: impl Into<String>, ttl: Duration) -> Self {
        DynamoIdempotency {
            client,
            table: table.into(),
            ttl,
        }
    }

    /// An update of the job's record that applies only while this delivery's claim holds it
    /// (its token, still in progress).
    fn claimed_update(&self, job: &JobKey, token: &ClaimToken) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("id", s(&job.key))
            .condition_expression("claimToken = :token AND #status = :in_progress")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":token", s(&token.0))
            .expression_attribute_values(":in_progress", s(IN_PROGRESS))
    }

    async fn stored(&self, key: &str) -> Result<Option<Stored>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.item.as_ref().map(Stored::from_item))
    }

    /// A claim whose conditional update failed: the record is done, held, someone else's, or
    /// past its TTL (DynamoDB deletes expired items lazily), in which case it is replaced.
    async fn claim_held(
        &self,
        job: &JobKey,
        token: &ClaimToken,
        lock_until_ms: u64,
    ) -> Result<Claim, PortError> {
        let now = now_millis();
        let Some(stored) = self.stored(&job.key).await? else {
            // Deleted by its TTL between our update and our read: let the redelivery claim it.
            return Ok(Claim::InProgress);
        };
        if stored.expired(now) {
            return self.replace_expired(job, token, lock_until_ms, now).await;
        }
        Ok(if stored.payload_hash.as_deref() != Some(&job.payload_hash) {
            Claim::Conflict
        } else if stored.status.as_deref() == Some(COMPLETED) {
            Claim::AlreadyDone {
                pending_reply: stored.pending_reply,
            }
        } else if stored.claim_token.as_deref() == Some(&token.0) {
            // Our own claim, whose answer was lost on the way back.
            Claim::Acquired {
                token: token.clone(),
                progress: stored.progress,
            }
        } else {
            Claim::InProgress
        })
    }

    async fn replace_expired(
        &self,
        job: &JobKey,
        token: &ClaimToken,
        lock_until_ms: u64,
        now: u64,
    ) -> Result<Claim, PortError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("id", s(&job.key))
            .item("status", s(IN_PROGRESS))
            .item("payloadHash", s(&job.payload_hash))
            .item("claimToken", s(&token.0))
            .item("lockExpiresAt", n(lock_until_ms))
            .item("ttl", n(epoch_seconds_in(self.ttl)))
            .condition_expression("#ttl < :now_s")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":now_s", n(now / 1000))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Acquired {
                token: token.clone(),
                progress: FanoutProgress::default(),
            }),
            Err(e) if is_condition_failure(&e) => Ok(Claim::InProgress),
            Err(e) => Err(classify(e)),
        }
    }
}

#[async_trait]
impl IdempotencyStore for DynamoIdempotency {
    async fn claim(&self, job: &JobKey, token: &ClaimToken, lock_until_ms: u64) -> Result<Claim, PortError> {
        let now = now_millis();
        // Free: no record, or a live claim of the same payload whose lock expired (its holder
        // died or released it); the old attributes come back with its fan-out progress.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", s(&job.key))
            .update_expression(
                "SET #status = :in_progress, payloadHash = :hash, claimToken = :token, lockExpiresAt = :lock, #ttl = :ttl",
            )
            .condition_expression(
                "attribute_not_exists(id) OR (#status = :in_progress AND lockExpiresAt < :now_ms AND payloadHash = :hash AND #ttl >= :now_s)",
            )
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", s(IN_PROGRESS))
            .expression_attribute_values(":hash", s(&job.payload_hash))
            .expression_attribute_values(":token", s(&token.0))
            .expression_attribute_values(":lock", n(lock_until_ms))
            .expression_attribute_values(":ttl", n(epoch_seconds_in(self.ttl)))
            .expression_attribute_values(":now_s", n(now / 1000))
            .expression_attribute_values(":now_ms", n(now))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Claim::Acquired {
                token: token.clone(),
                progress: out
                    .attributes
                    .as_ref()
                    .map(|old| Stored::from_item(old).progress)
                    .unwrap_or_default(),
            }),
            Err(e) if is_condition_failure(&e) => self.claim_held(job, token, lock_until_ms).await,
            Err(e) => Err(classify(e)),
        }
    }

    async fn complete(&self, job: &JobKey, pending_reply: Option<&[u8]>) -> Result<(), PortError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(completed_item(
                job,
                pending_reply,
                epoch_seconds_in(self.ttl),
            )))
            .send()
            .await
            .map(drop)
            .map_err(classify)
    }

    async fn reply_delivered(&self, job: &JobKey) -> Result<(), PortError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("id", s(&job.key))
            .update_expression("REMOVE pendingReply")
            .condition_expression("attribute_exists(id)")
            .send()
            .await
            .map(drop)
            .or_else(|e| {
                if is_condition_failure(&e) {
                    Ok(())
                } else {
                    Err(classify(e))
                }
            })
    }

    async fn record_fanout(
        &self,
        job: &JobKey,
        token: &ClaimToken,
        step: &FanoutProgress,
    ) -> Result<(), PortError> {
        // DynamoDB refuses an empty set, so only the non-empty ones are added.
        let sets: Vec<(&str, &BTreeSet<String>)> = FANOUT_SETS
            .into_iter()
            .zip([&step.delivered, &step.pruned, &step.failed])
            .filter(|(_, ids)| !ids.is_empty())
            .collect();
        if sets.is_empty() {
            return Ok(());
        }
        let additions: Vec<String> = sets.iter().map(|(name, _)| format!("{name} :{name}")).collect();
        let mut update = self
            .claimed_update(job, token)
            .update_expression(format!("ADD {}", additions.join(", ")));
        for (name, ids) in sets {
            update = update.expression_attribute_values(
                format!(":{name}"),
                AttributeValue::Ss(ids.iter().cloned().collect()),
            );
        }
        let result = update.send().await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(PortError::Transient(
                "the job was taken over by another delivery; stopping this one's fan-out".into(),
            )),
            Err(e) => Err(classify(e)),
        }
    }

    async fn release(&self, job: &JobKey, token: &ClaimToken) -> Result<(), PortError> {
        let result = self
            .claimed_update(job, token)
            .update_expression("SET lockExpiresAt = :expired")
            .expression_attribute_values(":expired", n(0))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Not ours any more: a later delivery took over after our lock expired.
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }
}

fn completed_item(job: &JobKey, pending_reply: Option<&[u8]>, ttl_seconds: u64) -> Item {
    let mut item = Item::from([
        ("id".to_owned(), s(&job.key)),
        ("status".to_owned(), s(COMPLETED)),
        ("payloadHash".to_owned(), s(&job.payload_hash)),
        ("completedAt".to_owned(), n(now_millis())),
        ("ttl".to_owned(), n(ttl_seconds)),
    ]);
    if let Some(reply) = pending_reply {
        item.insert("pendingReply".to_owned(), AttributeValue::B(Blob::new(reply)));
    }
    item
}

/// Whether a request failed only because its condition expression did not hold.
fn is_condition_failure<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}
