//! In-process port implementations with an optional fixed latency per call, for unit tests and
//! benchmarks. They keep what they were asked to do so tests can inspect it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::envelope::{Job, JobKey};
use crate::failure::Failure;
use crate::ports::{
    Claim, ClaimToken, ConnectionApi, ConnectionStore, DeadLetterQueue, FanoutProgress, IdempotencyStore,
    PortError, Ports, PostError, ResultStore,
};
use crate::record::Record;

/// Decides the fate of one post: `None` delivers it.
pub type PostFault = Box<dyn Fn(&str, &[u8]) -> Option<PostError> + Send + Sync>;

/// One job's idempotency record in a [`MemoryBackend`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryClaim {
    /// The payload hash the key was first claimed with.
    pub payload_hash: String,
    /// Where the job stands.
    pub state: MemoryClaimState,
    /// How far its fan-out got.
    pub progress: FanoutProgress,
}

/// The stages of a [`MemoryClaim`]. Locks never expire here: a test that needs a takeover
/// releases the claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryClaimState {
    /// Held by the delivery with this token.
    Claimed(ClaimToken),
    /// Released: the next delivery may take it over.
    Released,
    /// Done, with its result still to deliver, if any.
    Completed {
        /// The undelivered result.
        pending_reply: Option<Vec<u8>>,
    },
}

/// Every port in one in-memory value; [`MemoryBackend::ports`] hands it out as [`Ports`]. The
/// fields are public so tests can seed and inspect them.
#[derive(Default)]
pub struct MemoryBackend {
    /// Slept at the start of every call; zero (the default) for none.
    pub latency: Duration,
    /// Delivered posts as (connection id, payload), in the order they were made.
    pub posts: Mutex<Vec<(String, Vec<u8>)>>,
    /// Fails chosen posts; `None` delivers every post.
    pub post_fault: Option<PostFault>,
    /// Subscribed connection ids by topic.
    pub subscriptions: Mutex<BTreeMap<String, BTreeSet<String>>>,
    /// Connection ids passed to `forget`, in order, repeats included.
    pub forgotten: Mutex<Vec<String>>,
    /// Stored `store` jobs by request id.
    pub results: Mutex<HashMap<String, Job>>,
    /// How many times `put` was called, including rewrites of the same request id.
    pub result_writes: Mutex<usize>,
    /// Idempotency records by key.
    pub idempotency: Mutex<HashMap<String, MemoryClaim>>,
    /// Forwarded records with their failure, in order.
    pub dead_letters: Mutex<Vec<(Record, Failure)>>,
}

impl MemoryBackend {
    /// An empty backend whose every call takes `latency`.
    pub fn with_latency(latency: Duration) -> Self {
        MemoryBackend {
            latency,
            ..Default::default()
        }
    }

    /// The backend with `fault` deciding which posts fail.
    pub fn with_post_fault(mut self, fault: PostFault) -> Self {
        self.post_fault = Some(fault);
        self
    }

    /// Ports that all point at this backend.
    pub fn ports(self: &Arc<Self>) -> Ports {
        Ports {
            api: self.clone(),
            connections: self.clone(),
            results: self.clone(),
            idempotency: self.clone(),
            dead_letters: self.clone(),
        }
    }

    /// Posted payloads parsed as JSON, per connection, in the order they were posted.
    pub fn posts_by_connection(&self) -> BTreeMap<String, Vec<serde_json::Value>> {
        let mut by_conn: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
        for (conn, body) in self.posts.lock().unwrap().iter() {
            let value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
            by_conn.entry(conn.clone()).or_default().push(value);
        }
        by_conn
    }

    async fn io(&self) {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
    }
}

#[async_trait]
impl ConnectionApi for MemoryBackend {
    async fn post(&self, connection_id: &str, payload: &[u8]) -> Result<(), PostError> {
        self.io().await;
        if let Some(err) = self.post_fault.as_ref().and_then(|f| f(connection_id, payload)) {
            return Err(err);
        }
        self.posts
            .lock()
            .unwrap()
            .push((connection_id.to_owned(), payload.to_vec()));
        Ok(())
    }
}

#[async_trait]
impl ConnectionStore for MemoryBackend {
    async fn forget(&self, connection_id: &str) -> Result<(), PortError> {
        self.io().await;
        for members in self.subscriptions.lock().unwrap().values_mut() {
            members.remove(connection_id);
        }
        self.forgotten.lock().unwrap().push(connection_id.to_owned());
        Ok(())
    }

    async fn subscribe(&self, connection_id: &str, topic: &str) -> Result<(), PortError> {
        self.io().await;
        let mut subs = self.subscriptions.lock().unwrap();
        subs.entry(topic.to_owned())
            .or_default()
            .insert(connection_id.to_owned());
        Ok(())
    }

    async fn unsubscribe(&self, connection_id: &str, topic: &str) -> Result<(), PortError> {
        self.io().await;
        if let Some(members) = self.subscriptions.lock().unwrap().get_mut(topic) {
            members.remove(connection_id);
        }
        Ok(())
    }

    async fn subscribers(&self, topic: &str) -> Result<Vec<String>, PortError> {
        self.io().await;
        let subs = self.subscriptions.lock().unwrap();
        Ok(subs
            .get(topic)
            .map(|m| m.iter().cloned().collect())
            .unwrap_or_default())
    }
}

#[async_trait]
impl ResultStore for MemoryBackend {
    async fn put(&self, job: &Job) -> Result<(), PortError> {
        self.io().await;
        self.results
            .lock()
            .unwrap()
            .insert(job.request_id.clone(), job.clone());
        *self.result_writes.lock().unwrap() += 1;
        Ok(())
    }
}

#[async_trait]
impl IdempotencyStore for MemoryBackend {
    async fn claim(&self, job: &JobKey, token: &ClaimToken, _lock_until_ms: u64) -> Result<Claim, PortError> {
        self.io().await;
        let mut records = self.idempotency.lock().unwrap();
        let record = records.entry(job.key.clone()).or_insert_with(|| MemoryClaim {
            payload_hash: job.payload_hash.clone(),
            state: MemoryClaimState::Released,
            progress: FanoutProgress::default(),
        });
        if record.payload_hash != job.payload_hash {
            return Ok(Claim::Conflict);
        }
        Ok(match &record.state {
            MemoryClaimState::Claimed(held) if held != token => Claim::InProgress,
            MemoryClaimState::Completed { pending_reply } => Claim::AlreadyDone {
                pending_reply: pending_reply.clone(),
            },
            _ => {
                record.state = MemoryClaimState::Claimed(token.clone());
                Claim::Acquired {
                    token: token.clone(),
                    progress: record.progress.clone(),
                }
            }
        })
    }

    async fn complete(&self, job: &JobKey, pending_reply: Option<&[u8]>) -> Result<(), PortError> {
        self.io().await;
        let record = MemoryClaim {
            payload_hash: job.payload_hash.clone(),
            state: MemoryClaimState::Completed {
                pending_reply: pending_reply.map(<[u8]>::to_vec),
            },
            progress: FanoutProgress::default(),
        };
        self.idempotency.lock().unwrap().insert(job.key.clone(), record);
        Ok(())
    }

    async fn reply_delivered(&self, job: &JobKey) -> Result<(), PortError> {
        self.io().await;
        if let Some(MemoryClaim {
            state: MemoryClaimState::Completed { pending_reply },
            ..
        }) = self.idempotency.lock().unwrap().get_mut(&job.key)
        {
            *pending_reply = None;
        }
        Ok(())
    }

    async fn record_fanout(
        &self,
        job: &JobKey,
        token: &ClaimToken,
        step: &FanoutProgress,
    ) -> Result<(), PortError> {
        self.io().await;
        match self.idempotency.lock().unwrap().get_mut(&job.key) {
            Some(record) if record.state == MemoryClaimState::Claimed(token.clone()) => {
                record.progress.add(step);
                Ok(())
            }
            _ => Err(PortError::Transient("the claim was taken over".into())),
        }
    }

    async fn release(&self, job: &JobKey, token: &ClaimToken) -> Result<(), PortError> {
        self.io().await;
        if let Some(record) = self.idempotency.lock().unwrap().get_mut(&job.key) {
            if record.state == MemoryClaimState::Claimed(token.clone()) {
                record.state = MemoryClaimState::Released;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl DeadLetterQueue for MemoryBackend {
    async fn forward(&self, record: &Record, failure: &Failure) -> Result<(), PortError> {
        self.io().await;
        self.dead_letters
            .lock()
            .unwrap()
            .push((record.clone(), failure.clone()));
        Ok(())
    }
}
