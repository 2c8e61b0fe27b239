//! What each task does. A task either produces the data of its result message or fails.

use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

use crate::envelope::{topic_of, Job, Task};
use crate::failure::{Failure, Reason};
use crate::ports::{PortError, Ports, PostError};
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

impl TaskRunner<'_> {
    pub async fn run(&self, job: &Job) -> Result<Reply, TaskError> {
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
            Task::Broadcast => self.broadcast(job).await,
            Task::WorkflowResult => Ok(workflow_reply(&job.data)),
        }
    }

    /// Fans a message out to a topic's subscribers. Delivery to each subscriber is best effort:
    /// retrying the whole job would send duplicates to those already reached.
    async fn broadcast(&self, job: &Job) -> Result<Reply, TaskError> {
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
        let deliveries: Vec<_> = subscribers.iter().map(|id| self.deliver(id, &payload)).collect();
        let outcomes: Vec<Delivery> = stream::iter(deliveries)
            .buffer_unordered(self.fanout.max(1))
            .collect()
            .await;
        let count = |d: Delivery| outcomes.iter().filter(|o| **o == d).count();
        Ok(Reply::Ok(json!({
            "topic": topic,
            "subscribers": subscribers.len(),
            "delivered": count(Delivery::Delivered),
            "pruned": count(Delivery::Pruned),
            "failed": count(Delivery::Failed),
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
