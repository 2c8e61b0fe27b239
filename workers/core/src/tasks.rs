//! What each task does. A task either produces the data of its result message or fails.

use serde_json::{json, Value};

use crate::envelope::{topic_of, Job, JobKey, Task};
use crate::failure::{Failure, Reason};
use crate::ports::{ClaimToken, FanoutProgress, PortError, Ports, PostError};
use crate::result::ResultMessage;
use crate::retry::RetryPolicy;

/// A task that ran to its end, successfully or with an error the client must hear about
/// (a failed workflow is delivered, not retried).
pub(crate) enum Reply {
    Ok(Value),
    Error(Failure),
}

pub(crate) enum TaskError {
    Transient(PortError),
    Permanent(Failure),
}

impl From<PortError> for TaskError {
    fn from(e: PortError) -> Self {
        match e {
            PortError::Transient(_) => TaskError::Transient(e),
            PortError::Permanent(m) => TaskError::Permanent(Failure::new(Reason::TaskFailed, m)),
        }
    }
}

impl From<Failure> for TaskError {
    fn from(f: Failure) -> Self {
        TaskError::Permanent(f)
    }
}

pub(crate) struct TaskRunner<'a> {
    pub ports: &'a Ports,
    pub retry: &'a RetryPolicy,
    pub fanout: usize,
}

/// The claim a job runs under: a broadcast records its progress against it.
pub(crate) struct ClaimedJob<'a> {
    pub key: &'a JobKey,
    pub token: &'a ClaimToken,
    /// What earlier deliveries of the job fanned out already.
    pub progress: FanoutProgress,
}

impl TaskRunner<'_> {
    pub async fn run(&self, job: &Job, claim: &ClaimedJob<'_>) -> Result<Reply, TaskError> {
        let ports = self.ports;
        let conn = job.connection_id.as_str();
        match job.task {
            Task::Notify => Ok(Reply::Ok(json!({ "received": job.data }))),
            Task::Store => {
                self.retry.run(|| ports.results.put(job)).await?;
                Ok(Reply::Ok(json!({ "key": job.request_id })))
            }
            Task::Subscribe => {
                let topic = topic_of(&job.data)?;
                self.retry
                    .run(|| ports.connections.subscribe(conn, topic))
                    .await?;
                Ok(Reply::Ok(json!({ "topic": topic, "subscribed": true })))
            }
            Task::Unsubscribe => {
                let topic = topic_of(&job.data)?;
                self.retry
                    .run(|| ports.connections.unsubscribe(conn, topic))
                    .await?;
                Ok(Reply::Ok(json!({ "topic": topic, "subscribed": false })))
            }
            Task::Broadcast => self.broadcast(job, claim).await,
            Task::WorkflowResult => Ok(workflow_reply(&job.data)),
        }
    }

    /// Fans a message out to a topic's subscribers, `fanout` posts at a time. After each round
    /// the posts that ended are recorded with the claim, so a delivery that takes the job over
    /// after this one died posts only to the others: a subscriber gets the message again only if
    /// its post was in flight at that moment. Delivery to each subscriber is best effort: a post
    /// that fails for good is counted, not retried by a redelivery.
    async fn broadcast(&self, job: &Job, claim: &ClaimedJob<'_>) -> Result<Reply, TaskError> {
        let topic = topic_of(&job.data)?;
        let subscribers = self
            .retry
            .run(|| self.ports.connections.subscribers(topic))
            .await?;
        let payload = serde_json::to_vec(&json!({
            "type": "broadcast",
            "topic": topic,
            "from": job.connection_id,
            "requestId": job.request_id,
            "message": job.data["message"],
        }))
        .expect("JSON values serialize");
        let mut progress = claim.progress.clone();
        if !progress.is_empty() {
            tracing::info!(
                reached = progress.len(),
                "resuming a broadcast an earlier delivery began"
            );
        }
        let todo: Vec<&String> = subscribers.iter().filter(|id| !progress.reached(id)).collect();
        for round in todo.chunks(self.fanout.max(1)) {
            let outcomes = futures::future::join_all(round.iter().map(|id| self.deliver(id, &payload))).await;
            let step = step_of(round, &outcomes);
            let idempotency = &self.ports.idempotency;
            self.retry
                .run(|| idempotency.record_fanout(claim.key, claim.token, &step))
                .await?;
            progress.add(&step);
        }
        Ok(Reply::Ok(json!({
            "topic": topic,
            "subscribers": subscribers.len(),
            "delivered": progress.delivered.len(),
            "pruned": progress.pruned.len(),
            "failed": progress.failed.len(),
        })))
    }

    async fn deliver(&self, connection_id: &str, payload: &[u8]) -> Delivery {
        match self
            .retry
            .run(|| self.ports.api.post(connection_id, payload))
            .await
        {
            Ok(()) => Delivery::Delivered,
            Err(PostError::Gone) => match self.ports.connections.forget(connection_id).await {
                Ok(()) => Delivery::Pruned,
                Err(e) => {
                    tracing::warn!(connection_id, error = %e, "could not prune a gone subscriber");
                    Delivery::Pruned
                }
            },
            Err(PostError::Failed(e)) => {
                tracing::warn!(connection_id, error = %e, "broadcast delivery failed");
                Delivery::Failed
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    Delivered,
    Pruned,
    Failed,
}

/// One fan-out round's posts as progress.
fn step_of(round: &[&String], outcomes: &[Delivery]) -> FanoutProgress {
    let mut step = FanoutProgress::default();
    for (id, outcome) in round.iter().zip(outcomes) {
        let ids = match outcome {
            Delivery::Delivered => &mut step.delivered,
            Delivery::Pruned => &mut step.pruned,
            Delivery::Failed => &mut step.failed,
        };
        ids.insert((*id).clone());
    }
    step
}

fn workflow_reply(data: &Value) -> Reply {
    let arn = &data["executionArn"];
    if data["status"] == "SUCCEEDED" {
        return Reply::Ok(json!({ "executionArn": arn, "output": data.get("output") }));
    }
    let text = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or("unknown");
    Reply::Error(Failure::new(
        Reason::WorkflowFailed,
        format!(
            "workflow {} failed: {}: {}",
            arn.as_str().unwrap_or("?"),
            text("error"),
            text("cause")
        ),
    ))
}

impl Reply {
    pub fn into_message<'a>(self, request_id: Option<&'a str>, task: Option<&'a str>) -> ResultMessage<'a> {
        match self {
            Reply::Ok(data) => ResultMessage::ok(request_id, task, data),
            Reply::Error(failure) => ResultMessage::error(request_id, task, failure),
        }
    }
}
