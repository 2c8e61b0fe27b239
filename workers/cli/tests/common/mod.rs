//! A moto server with a job queue and its FIFO DLQ, seeding and reading helpers, and the real
//! `wsflow` binary pointed at the server.

#![allow(dead_code)] // each test file uses part of the harness

use std::collections::BTreeMap;
use std::process::Output;
use std::time::Duration;

use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use serde_json::{json, Value};
use tokio::process::{Child, Command};
use wsflow_aws::dead_letter::string_attribute;
use wsflow_core::{Job, Source, Task};
use wsflow_testkit::{eventually, Moto, WorkerResources};

pub const WAIT: Duration = Duration::from_secs(30);

pub struct TestBackend {
    pub moto: Moto,
    pub sqs: aws_sdk_sqs::Client,
    /// `jobs.fifo` with a redrive policy into `jobs-dlq.fifo`, and the worker's tables.
    pub resources: WorkerResources,
}

/// One message to put straight into a queue.
#[derive(Clone)]
pub struct Seed {
    pub group: Option<String>,
    pub body: String,
    pub attributes: BTreeMap<String, String>,
}

impl Seed {
    /// A `notify` job for connection `group` whose data carries its place in the group.
    pub fn job(group: &str, seq: usize) -> Seed {
        Seed::task(group, seq, Task::Notify)
    }

    pub fn task(group: &str, seq: usize, task: Task) -> Seed {
        let data = json!({ "group": group, "seq": seq });
        let body = Job::new(group, &format!("{group}-{seq}"), task, data, Source::Cli).to_body();
        Seed {
            group: Some(group.to_owned()),
            body,
            attributes: BTreeMap::new(),
        }
    }

    pub fn with(mut self, name: &str, value: &str) -> Seed {
        self.attributes.insert(name.to_owned(), value.to_owned());
        self
    }
}

impl TestBackend {
    pub async fn start() -> TestBackend {
        let moto = Moto::start().await.unwrap();
        let sdk = moto.sdk_config().await;
        let resources = WorkerResources::create(&sdk, "t", 3, 30).await.unwrap();
        TestBackend {
            sqs: aws_sdk_sqs::Client::new(&sdk),
            moto,
            resources,
        }
    }

    pub fn dlq(&self) -> &str {
        &self.resources.dlq_url
    }

    pub fn jobs(&self) -> &str {
        &self.resources.queue_url
    }

    pub async fn create_queue(&self, name: &str) -> String {
        let mut create = self.sqs.create_queue().queue_name(name);
        if name.ends_with(".fifo") {
            create = create.attributes(QueueAttributeName::FifoQueue, "true");
        }
        create.send().await.unwrap().queue_url.unwrap()
    }

    /// Sends `seeds` in batches of 10 (FIFO dedup ids made unique by `tag`); returns their
    /// message ids in order.
    pub async fn seed(&self, queue_url: &str, tag: &str, seeds: &[Seed]) -> Vec<String> {
        let mut ids = Vec::new();
        for (n, chunk) in seeds.chunks(10).enumerate() {
            let entries = chunk.iter().enumerate().map(|(i, seed)| {
                let mut entry = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(&seed.body)
                    .set_message_group_id(seed.group.clone());
                if queue_url.ends_with(".fifo") {
                    entry = entry.message_deduplication_id(format!("{tag}-{n}-{i}"));
                }
                for (name, value) in &seed.attributes {
                    entry = entry.message_attributes(name, string_attribute(value));
                }
                entry.build().unwrap()
            });
            let out = self
                .sqs
                .send_message_batch()
                .queue_url(queue_url)
                .set_entries(Some(entries.collect()))
                .send()
                .await
                .unwrap();
            assert!(out.failed.is_empty(), "seeding failed: {:?}", out.failed);
            let mut sent = out.successful;
            sent.sort_by_key(|entry| entry.id.parse::<usize>().unwrap());
            ids.extend(sent.into_iter().map(|entry| entry.message_id));
        }
        ids
    }

    /// (visible, in flight)
    pub async fn depth(&self, queue_url: &str) -> (usize, usize) {
        wsflow_testkit::fixtures::queue_depth(&self.sqs, queue_url)
            .await
            .unwrap()
    }

    /// Receives everything in queue order, deleting as it goes (a FIFO queue hands out a group's
    /// next messages only once the earlier ones are gone).
    pub async fn drain(&self, queue_url: &str) -> Vec<Message> {
        let mut all = Vec::new();
        loop {
            let messages = self.consume(queue_url, 0).await;
            if messages.is_empty() {
                return all;
            }
            all.extend(messages);
        }
    }

    /// Drains `queue_url` for as long as `command` runs, like a consumer keeping up with it, and
    /// then to the end. Returns what was received and the command's output.
    pub async fn drain_while(&self, queue_url: &str, command: Child) -> (Vec<Message>, Output) {
        let run = tokio::spawn(command.wait_with_output());
        let mut received = Vec::new();
        while !run.is_finished() {
            received.extend(self.consume(queue_url, 1).await);
        }
        received.extend(self.drain(queue_url).await);
        (received, run.await.unwrap().unwrap())
    }

    /// One receive (long-polling up to `wait_seconds`) and the deletion of what it got.
    async fn consume(&self, queue_url: &str, wait_seconds: i32) -> Vec<Message> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait_seconds)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return messages;
        }
        let entries = messages.iter().enumerate().map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(m.receipt_handle().unwrap())
                .build()
                .unwrap()
        });
        self.sqs
            .delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries.collect()))
            .send()
            .await
            .unwrap();
        messages
    }

    /// Dead-letters `seeds` the way production does: sent to the job queue and received until
    /// its redrive policy moves them. In waves, because moto's cost per sent message grows with
    /// the depth of the queue it is sent to (it rescans every message several times), while the
    /// redrive appends to the DLQ directly: a thousand messages take seconds instead of a minute.
    pub async fn dead_letter_by_redrive(&self, seeds: &[Seed]) {
        const WAVE: usize = 50;
        for (n, wave) in seeds.chunks(WAVE).enumerate() {
            self.seed(self.jobs(), &format!("wave{n}"), wave).await;
            // Each receive is a failed delivery (visible again at once); the one after the
            // third moves the message, so an empty answer means the whole wave has moved.
            let mut rounds = 0;
            while self.receive_and_return(self.jobs()).await > 0 {
                rounds += 1;
                assert!(rounds < 100, "the redrive policy did not move wave {n}");
            }
        }
        assert_eq!(self.depth(self.jobs()).await, (0, 0));
    }

    /// Receives up to 10 messages and makes them visible again at once; returns how many.
    async fn receive_and_return(&self, queue_url: &str) -> usize {
        let out = self
            .sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
        out.messages.map_or(0, |m| m.len())
    }

    /// The real binary against this backend, with test credentials and nothing from the host.
    pub fn wsflow(&self, args: &[&str]) -> Command {
        let mut command =
            wsflow_testkit::processes::command(env!("CARGO_BIN_EXE_wsflow"), self.moto.endpoint());
        command.args(args);
        command
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        self.wsflow(args).output().await.unwrap()
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.wsflow(args).spawn().unwrap()
    }

    /// Waits until `queue_url` holds at least `count` messages.
    pub async fn await_depth(&self, queue_url: &str, count: usize) {
        eventually(WAIT, "messages to arrive", || async {
            let (visible, in_flight) = self.depth(queue_url).await;
            visible + in_flight >= count
        })
        .await
        .unwrap();
    }

    /// Waits until nothing in `queue_url` is in flight (a killed command's holds expired).
    pub async fn await_nothing_in_flight(&self, queue_url: &str) {
        eventually(WAIT, "held messages to reappear", || async {
            self.depth(queue_url).await.1 == 0
        })
        .await
        .unwrap();
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The JSON line a `--json` command printed last.
pub fn json_summary(output: &Output) -> Value {
    let text = stdout(output);
    let line = text
        .lines()
        .last()
        .unwrap_or_else(|| panic!("no output; stderr: {}", stderr(output)));
    serde_json::from_str(line).unwrap()
}

/// (group, seq) of a job seeded by `Seed::job`.
pub fn place(message: &Message) -> (String, u64) {
    let body: Value = serde_json::from_str(message.body().unwrap()).unwrap();
    let data = &body["data"];
    (
        data["group"].as_str().unwrap().to_owned(),
        data["seq"].as_u64().unwrap(),
    )
}

/// Asserts that `received` holds each of `groups` × `0..per_group` exactly once, every group in
/// order.
pub fn assert_exactly_once_in_order(received: &[Message], groups: usize, per_group: usize) {
    let mut by_group: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for message in received {
        let (group, seq) = place(message);
        by_group.entry(group).or_default().push(seq);
    }
    assert_eq!(by_group.len(), groups, "groups received");
    for (group, seqs) in by_group {
        let expected: Vec<u64> = (0..per_group as u64).collect();
        assert_eq!(seqs, expected, "group {group}: lost, doubled or out of order");
    }
}

pub fn attribute<'m>(message: &'m Message, name: &str) -> Option<&'m str> {
    message.message_attributes()?.get(name)?.string_value()
}

/// `per_group` jobs in each of `groups` groups (`g00`, `g01`, …), interleaved across groups.
pub fn interleaved(groups: usize, per_group: usize) -> Vec<Seed> {
    (0..per_group)
        .flat_map(|seq| (0..groups).map(move |g| Seed::job(&format!("g{g:02}"), seq)))
        .collect()
}
