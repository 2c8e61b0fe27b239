//! The WebSocket clients: one per message group (the `enqueue` route groups a client's jobs by
//! its connection id), each sending its jobs in order and recording every frame it receives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use wsflow_e2e::Dev;

/// Topics the jobs subscribe and broadcast to.
const TOPICS: usize = 5;
/// API Gateway closes a connection idle for 10 minutes (WebSocket API quotas); a run with a long
/// outage and replay outlasts that, so every client sends a message to `$default` this often.
const KEEPALIVE: std::time::Duration = std::time::Duration::from_secs(60);

/// What one client sent and received.
#[derive(Default)]
pub struct Received {
    /// Request ids of its jobs in sending order (the gateway's `queued` answers), with the task.
    pub jobs: Vec<(String, String)>,
    /// Request ids of result messages, in arrival order, repeats included.
    pub results: Vec<String>,
    /// Request ids of broadcasts received, repeats included.
    pub broadcasts: Vec<String>,
    /// Topics this client subscribed to.
    pub topics: Vec<String>,
    /// The task of the job sent and not queued yet (`queued` answers carry only the id).
    sending: String,
}

pub struct Client {
    pub group: usize,
    pub received: Arc<Mutex<Received>>,
    outgoing: mpsc::Sender<String>,
    queued: Arc<tokio::sync::Notify>,
}

/// Connects `groups` clients through the gateway's client entrance; every result frame any
/// client receives adds one to `answers`.
pub async fn connect(
    dev: &Dev,
    groups: usize,
    answers: tokio::sync::watch::Sender<usize>,
) -> anyhow::Result<Vec<Client>> {
    let answers = Arc::new(answers);
    let mut clients = Vec::with_capacity(groups);
    for group in 0..groups {
        let socket = dev.connect(&format!("/chaos/{group}")).await?;
        let (mut sink, mut stream) = socket.split();
        let received = Arc::new(Mutex::new(Received::default()));
        let queued = Arc::new(tokio::sync::Notify::new());
        let (outgoing, mut to_send) = mpsc::channel::<String>(1);
        let keepalive = outgoing.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE);
            loop {
                ticks.tick().await;
                if keepalive
                    .send(r#"{"action":"keepalive"}"#.to_owned())
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
        tokio::spawn(async move {
            while let Some(text) = to_send.recv().await {
                if sink.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
        });
        let (record, signal, answers) = (received.clone(), queued.clone(), answers.clone());
        tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                if let Message::Text(text) = frame {
                    let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    record_frame(&record, &value, &signal, &answers);
                }
            }
        });
        clients.push(Client {
            group,
            received,
            outgoing,
            queued,
        });
    }
    Ok(clients)
}

fn record_frame(
    received: &Mutex<Received>,
    frame: &Value,
    queued: &tokio::sync::Notify,
    answers: &tokio::sync::watch::Sender<usize>,
) {
    let request_id = frame["requestId"].as_str().unwrap_or_default().to_owned();
    let mut received = received.lock().unwrap();
    match frame["type"].as_str() {
        Some("queued") => {
            let task = std::mem::take(&mut received.sending);
            received.jobs.push((request_id, task));
            queued.notify_one();
        }
        Some("result") => {
            if frame["status"] != "ok" {
                eprintln!("an error result: {frame}");
            }
            received.results.push(request_id);
            answers.send_modify(|n| *n += 1);
        }
        Some("broadcast") => received.broadcasts.push(request_id),
        _ => {}
    }
}

/// The `n`-th job of a group: a subscription first, then notify, store, broadcast in turn.
fn job(group: usize, n: usize) -> (Value, Option<String>) {
    let topic = format!("t{}", (group + n) % TOPICS);
    let seq = json!({ "group": group, "seq": n });
    match n % 4 {
        0 => (
            json!({"action": "enqueue", "task": "subscribe", "data": {"topic": topic}}),
            Some(topic),
        ),
        1 => (json!({"action": "enqueue", "task": "notify", "data": seq}), None),
        2 => (json!({"action": "enqueue", "task": "store", "data": seq}), None),
        _ => (
            json!({"action": "enqueue", "task": "broadcast", "data": {"topic": topic, "message": seq}}),
            None,
        ),
    }
}

/// Every client sends `per_group` jobs, one at a time (each after the gateway queued the one
/// before), all clients at once.
pub async fn send_all(clients: &mut [Client], per_group: usize) -> anyhow::Result<()> {
    let sends = clients.iter().map(|client| async move {
        for n in 0..per_group {
            let (body, topic) = job(client.group, n);
            {
                let mut received = client.received.lock().unwrap();
                received.sending = body["task"].as_str().unwrap_or_default().to_owned();
                received.topics.extend(topic);
            }
            let notified = client.queued.notified();
            client.outgoing.send(body.to_string()).await?;
            tokio::time::timeout(std::time::Duration::from_secs(30), notified)
                .await
                .map_err(|_| anyhow::anyhow!("group {}: job {n} was not queued in 30 s", client.group))?;
        }
        anyhow::Ok(())
    });
    futures::future::try_join_all(sends).await?;
    Ok(())
}

/// Jobs queued by all clients.
pub fn jobs(clients: &[Client]) -> usize {
    clients
        .iter()
        .map(|c| c.received.lock().unwrap().jobs.len())
        .sum()
}

/// Each job's task by request id, over all clients.
pub fn tasks(clients: &[Client]) -> HashMap<String, String> {
    clients
        .iter()
        .flat_map(|c| c.received.lock().unwrap().jobs.clone())
        .collect()
}
