//! The versioned job envelope: the SQS message body shared by the `enqueue` route, the async
//! workflow, the CLI and the workers. `schema/job-envelope.schema.json` publishes the same rules.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::failure::{Failure, Reason};

/// The envelope version (`v`) this worker reads and [`Job::new`] writes; any other is rejected
/// with [`Reason::UnsupportedVersion`].
pub const ENVELOPE_VERSION: u64 = 1;
/// SQS' own limit for a message body; anything larger cannot have come from a queue intact.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
const MAX_ID_CHARS: usize = 128;
const MAX_TOPIC_CHARS: usize = 128;
const FIELDS: [&str; 7] = [
    "v",
    "connectionId",
    "requestId",
    "receivedAt",
    "task",
    "data",
    "source",
];

/// What a job asks the worker to do: the envelope's `task`, in kebab case on the wire. Each task
/// has its own rules for `data` (see `schema/job-envelope.schema.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// `notify`: echoes `data` (anything but `null`) back to the connection as `received`.
    Notify,
    /// `store`: writes `data` (a non-empty object) to the results table under the request id.
    Store,
    /// `subscribe`: subscribes the connection to `data.topic`.
    Subscribe,
    /// `unsubscribe`: removes the connection's subscription to `data.topic`.
    Unsubscribe,
    /// `broadcast`: posts `data.message` to every subscriber of `data.topic`, best effort per
    /// subscriber.
    Broadcast,
    /// `workflow-result`: relays the outcome of an asynchronous Step Functions execution
    /// (`data.executionArn`, `data.status` `SUCCEEDED` or `FAILED`) to the connection that
    /// started it.
    WorkflowResult,
}

impl Task {
    /// Every task, in the order help texts and the `$default` route's catalogue list them.
    pub const ALL: [Task; 6] = [
        Task::Notify,
        Task::Store,
        Task::Subscribe,
        Task::Unsubscribe,
        Task::Broadcast,
        Task::WorkflowResult,
    ];

    /// The task's name in the envelope (`notify`, …, `workflow-result`).
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Notify => "notify",
            Task::Store => "store",
            Task::Subscribe => "subscribe",
            Task::Unsubscribe => "unsubscribe",
            Task::Broadcast => "broadcast",
            Task::WorkflowResult => "workflow-result",
        }
    }

    /// The task of an envelope name; `None` for a name that is not a task.
    pub fn parse(name: &str) -> Option<Task> {
        Task::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// A valid `data` for this task, for help texts and the `$default` route's reply.
    pub fn example_data(self) -> Value {
        match self {
            Task::Notify => serde_json::json!({ "message": "hello" }),
            Task::Store => serde_json::json!({ "orderId": "o-1", "total": 42 }),
            Task::Subscribe | Task::Unsubscribe => serde_json::json!({ "topic": "news" }),
            Task::Broadcast => serde_json::json!({ "topic": "news", "message": "hello, subscribers" }),
            Task::WorkflowResult => serde_json::json!({
                "executionArn": "arn:aws:states:us-east-1:123456789012:execution:wf:run-1",
                "status": "SUCCEEDED",
                "output": { "ok": true }
            }),
        }
    }

    fn names() -> String {
        Task::ALL.map(Task::as_str).join(", ")
    }
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which producer put the job on the queue: the envelope's `source`, in lower case on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The WebSocket API's `enqueue` route (its VTL integration sends to SQS directly).
    Route,
    /// The asynchronous Step Functions workflow, whose last state sends the `workflow-result` job.
    Workflow,
    /// The `wsflow` CLI (`wsflow send`), tests and benchmarks.
    Cli,
}

/// A validated job envelope, version 1: the SQS message body, with its fields in camel case
/// (`connectionId`, `requestId`, `receivedAt`). Build one with [`Job::new`], read one with
/// [`Job::parse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// Envelope version; always [`ENVELOPE_VERSION`] once parsed.
    pub v: u64,
    /// API Gateway connection id of the client that asked for the job, where its result is
    /// posted (1 to 128 of `A-Z a-z 0-9 = + _ -`).
    pub connection_id: String,
    /// The producer's id for this request (1 to 128 characters), echoed in the result message;
    /// `store` jobs are keyed by it.
    pub request_id: String,
    /// When the producer received the request, in milliseconds since the Unix epoch.
    pub received_at: u64,
    /// What to do.
    pub task: Task,
    /// The task's input; its shape depends on `task`, and has been checked against it.
    pub data: Value,
    /// Who produced the envelope.
    pub source: Source,
}

impl Job {
    /// A new envelope of the current version, for producers (CLI, tests, benchmarks).
    pub fn new(connection_id: &str, request_id: &str, task: Task, data: Value, source: Source) -> Job {
        Job {
            v: ENVELOPE_VERSION,
            connection_id: connection_id.to_owned(),
            request_id: request_id.to_owned(),
            received_at: now_millis(),
            task,
            data,
            source,
        }
    }

    /// Parses and validates a message body, naming the first rule it breaks.
    pub fn parse(body: &str) -> Result<Job, Failure> {
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(Failure::new(
                Reason::MessageTooLarge,
                format!(
                    "message is {} bytes; the limit is {MAX_MESSAGE_BYTES}",
                    body.len()
                ),
            ));
        }
        let value: Value = serde_json::from_str(body)
            .map_err(|e| Failure::new(Reason::MalformedJson, format!("body is not JSON: {e}")))?;
        let Value::Object(fields) = value else {
            return Err(Failure::new(Reason::NotAnObject, "body must be a JSON object"));
        };
        Job::from_fields(fields)
    }

    fn from_fields(mut fields: Map<String, Value>) -> Result<Job, Failure> {
        if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(Failure::new(
                Reason::UnknownField,
                format!("unexpected field `{unknown}`"),
            ));
        }
        let v = required(&fields, "v")?
            .as_u64()
            .ok_or_else(|| invalid("v", "must be a positive integer"))?;
        if v != ENVELOPE_VERSION {
            return Err(Failure::new(
                Reason::UnsupportedVersion,
                format!("envelope version {v} is not supported; this worker reads v{ENVELOPE_VERSION}"),
            ));
        }
        let task_name = required_str(&fields, "task")?;
        let task = Task::parse(task_name).ok_or_else(|| {
            Failure::new(
                Reason::UnknownTask,
                format!("unknown task `{task_name}`; expected one of {}", Task::names()),
            )
        })?;
        let connection_id = required_str(&fields, "connectionId")?.to_owned();
        validate_connection_id(&connection_id)?;
        let request_id = required_str(&fields, "requestId")?.to_owned();
        if request_id.is_empty() || request_id.chars().count() > MAX_ID_CHARS {
            return Err(invalid("requestId", "must be 1 to 128 characters"));
        }
        let received_at = required(&fields, "receivedAt")?.as_u64().ok_or_else(|| {
            invalid(
                "receivedAt",
                "must be epoch milliseconds (a non-negative integer)",
            )
        })?;
        let source = serde_json::from_value(required(&fields, "source")?.clone())
            .map_err(|_| invalid("source", "must be one of route, workflow, cli"))?;
        let data = fields.remove("data").ok_or_else(|| missing("data"))?;
        validate_data(task, &data)?;
        Ok(Job {
            v,
            connection_id,
            request_id,
            received_at,
            task,
            data,
            source,
        })
    }

    /// The envelope as an SQS message body (compact JSON).
    pub fn to_body(&self) -> String {
        serde_json::to_string(self).expect("a Job always serializes")
    }
}

/// A job's identity for idempotency, the same on every delivery, redrive and replay of its
/// message (SQS replaces a FIFO message's deduplication id when it dead-letters it, so that id
/// cannot be the key): `{source}#{task}#{requestId}`, and a SHA-256 of its canonical envelope so
/// that a reused key with a different payload is told apart from a repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobKey {
    /// `{source}#{task}#{requestId}` (at most 128 characters of request id, so it stays far
    /// below DynamoDB's 2,048-byte key limit).
    pub key: String,
    /// Lower-case hex SHA-256 of [`Job::to_body`] (fields in a fixed order, objects sorted).
    pub payload_hash: String,
}

impl Job {
    /// This job's [`JobKey`].
    pub fn key(&self) -> JobKey {
        use sha2::Digest;
        let source = serde_json::to_value(self.source).expect("sources serialize");
        JobKey {
            key: format!(
                "{}#{}#{}",
                source.as_str().unwrap_or_default(),
                self.task.as_str(),
                self.request_id
            ),
            payload_hash: hex::encode(sha2::Sha256::digest(self.to_body().as_bytes())),
        }
    }
}

/// What can still be learnt from a body that failed validation, so the client can be told why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobRef {
    /// The connection to tell about the failure; `None` when neither the body nor the message
    /// group names a valid connection id, so nobody can be told.
    pub connection_id: Option<String>,
    /// The body's `requestId` string, as it is; `None` when absent or not a string.
    pub request_id: Option<String>,
    /// The body's `task` string, which need not name a known task; `None` when absent or not a
    /// string.
    pub task: Option<String>,
}

impl JobRef {
    /// Reads the identifying fields of a body that may be invalid; `fallback_connection` (the
    /// FIFO group id, which routes set to the connection id) is used when the body names none.
    pub fn sniff(body: &str, fallback_connection: Option<&str>) -> JobRef {
        let value: Value = if body.len() > MAX_MESSAGE_BYTES {
            Value::Null
        } else {
            serde_json::from_str(body).unwrap_or(Value::Null)
        };
        let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
        let connection_id = text("connectionId")
            .or_else(|| fallback_connection.map(str::to_owned))
            .filter(|c| validate_connection_id(c).is_ok());
        JobRef {
            connection_id,
            request_id: text("requestId"),
            task: text("task"),
        }
    }
}

impl From<&Job> for JobRef {
    fn from(job: &Job) -> Self {
        JobRef {
            connection_id: Some(job.connection_id.clone()),
            request_id: Some(job.request_id.clone()),
            task: Some(job.task.as_str().to_owned()),
        }
    }
}

/// API Gateway connection ids are short base64-like tokens (`L0SM9cOFvHcCIhw=`); anything else
/// cannot be posted to and would put an arbitrary string into a URL path.
pub fn validate_connection_id(id: &str) -> Result<(), Failure> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '=' | '+' | '_' | '-');
    if id.is_empty() || id.len() > MAX_ID_CHARS || !id.chars().all(ok_char) {
        return Err(Failure::new(
            Reason::InvalidConnectionId,
            format!(
                "`{}` is not a connection id (1 to 128 of A-Z a-z 0-9 = + _ -)",
                truncate(id, 64)
            ),
        ));
    }
    Ok(())
}

/// Checks a topic name of `subscribe`, `unsubscribe` or `broadcast`: 1 to 128 of
/// `A-Z a-z 0-9 . _ : -`, else a [`Reason::InvalidData`] failure.
pub fn validate_topic(topic: &str) -> Result<(), Failure> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-');
    if topic.is_empty() || topic.len() > MAX_TOPIC_CHARS || !topic.chars().all(ok_char) {
        return Err(Failure::new(
            Reason::InvalidData,
            "data.topic must be 1 to 128 of A-Z a-z 0-9 . _ : -",
        ));
    }
    Ok(())
}

fn validate_data(task: Task, data: &Value) -> Result<(), Failure> {
    let bad = |m: &str| Err(Failure::new(Reason::InvalidData, format!("{task}: {m}")));
    match task {
        Task::Notify if data.is_null() => bad("data must not be null"),
        Task::Notify => Ok(()),
        Task::Store => match data.as_object() {
            Some(o) if !o.is_empty() => Ok(()),
            _ => bad("data must be a non-empty object"),
        },
        Task::Subscribe | Task::Unsubscribe => validate_topic(topic_of(data)?),
        Task::Broadcast => {
            validate_topic(topic_of(data)?)?;
            match data.get("message") {
                None | Some(Value::Null) => bad("data.message is required"),
                Some(_) => Ok(()),
            }
        }
        Task::WorkflowResult => {
            if !data.get("executionArn").is_some_and(Value::is_string) {
                return bad("data.executionArn must be a string");
            }
            match data.get("status").and_then(Value::as_str) {
                Some("SUCCEEDED" | "FAILED") => Ok(()),
                _ => bad("data.status must be SUCCEEDED or FAILED"),
            }
        }
    }
}

pub(crate) fn topic_of(data: &Value) -> Result<&str, Failure> {
    data.get("topic")
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::new(Reason::InvalidData, "data.topic must be a string"))
}

fn required<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<&'a Value, Failure> {
    fields.get(name).ok_or_else(|| missing(name))
}

fn required_str<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<&'a str, Failure> {
    required(fields, name)?
        .as_str()
        .ok_or_else(|| invalid(name, "must be a string"))
}

fn missing(name: &str) -> Failure {
    Failure::new(Reason::MissingField, format!("missing field `{name}`"))
}

fn invalid(name: &str, rule: &str) -> Failure {
    Failure::new(Reason::InvalidField, format!("field `{name}` {rule}"))
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The current time in milliseconds since the Unix epoch (0 if the clock is before it), the unit
/// of `receivedAt` and of the timestamps the workers store.
pub fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
