//! What the run left behind, checked against what the clients sent: every job answered, every
//! `store` written, no broadcast fanned out again, each group's answers in order (jobs that
//! went through the DLQ excepted: SQS' redrive takes a message out of its group's order, as the
//! SQS Developer Guide says of FIFO dead-letter queues), and nothing left in the queues.
//! Messages posted again after a crash (the post and the record of it cannot be one step) are
//! counted and reported.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use anyhow::Context;
use wsflow_testkit::Moto;

use crate::clients::{self, Client};

pub struct Queues {
    sqs: aws_sdk_sqs::Client,
    ddb: aws_sdk_dynamodb::Client,
    pub jobs: String,
    pub dlq: String,
    results_table: String,
}

impl Queues {
    /// The stack's jobs queue, its DLQ and its results table, on moto.
    pub async fn find(moto: &Moto) -> anyhow::Result<Queues> {
        let sdk = moto.sdk_config().await;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let ddb = aws_sdk_dynamodb::Client::new(&sdk);
        let urls = sqs.list_queues().send().await?.queue_urls.unwrap_or_default();
        let find = |want: &dyn Fn(&str) -> bool| urls.iter().find(|u| want(u)).cloned();
        let dlq = find(&|u| u.ends_with("-jobs-dlq.fifo")).context("no dead-letter queue")?;
        let jobs = find(&|u| u.ends_with("-jobs.fifo")).context("no jobs queue")?;
        let results_table = results_table(&ddb).await?;
        Ok(Queues {
            sqs,
            ddb,
            jobs,
            dlq,
            results_table,
        })
    }

    /// Messages in `url`, visible and in flight.
    pub async fn depth(&self, url: &str) -> anyhow::Result<usize> {
        let (visible, in_flight) = wsflow_testkit::fixtures::queue_depth(&self.sqs, url).await?;
        Ok(visible + in_flight)
    }

    async fn stored(&self) -> anyhow::Result<HashSet<String>> {
        let items: Vec<_> = self
            .ddb
            .scan()
            .table_name(&self.results_table)
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        items
            .into_iter()
            .map(|item| {
                let item = item?;
                Ok(item
                    .get("requestId")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default())
            })
            .collect()
    }
}

/// The table keyed by `requestId` alone: where `store` jobs write.
async fn results_table(ddb: &aws_sdk_dynamodb::Client) -> anyhow::Result<String> {
    for table in ddb.list_tables().send().await?.table_names.unwrap_or_default() {
        let description = ddb.describe_table().table_name(&table).send().await?;
        let keys = description
            .table
            .map(|t| t.key_schema.unwrap_or_default())
            .unwrap_or_default();
        if keys.len() == 1 && keys[0].attribute_name == "requestId" {
            return Ok(table);
        }
    }
    anyhow::bail!("no results table (keyed by requestId)")
}

/// Waits until the jobs queue has stayed empty for 3 s (every job done or dead-lettered), or
/// the deadline.
pub async fn settle(
    clients: &[Client],
    queues: &Queues,
    deadline: tokio::time::Instant,
) -> anyhow::Result<()> {
    let mut quiet_since = None;
    while tokio::time::Instant::now() < deadline {
        let empty = queues.depth(&queues.jobs).await? == 0;
        let answered = answered(clients);
        match (empty, quiet_since) {
            (true, Some((since, seen))) if seen == answered => {
                if tokio::time::Instant::now() - since >= Duration::from_secs(3) {
                    return Ok(());
                }
            }
            (true, _) => quiet_since = Some((tokio::time::Instant::now(), answered)),
            (false, _) => quiet_since = None,
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

fn answered(clients: &[Client]) -> usize {
    clients
        .iter()
        .map(|c| c.received.lock().unwrap().results.len())
        .sum()
}

/// Request ids of the jobs not answered yet: once the jobs queue is empty, those are in the DLQ
/// (a job answered and then redriven, because its delete kept failing, keeps its place).
pub fn unanswered(clients: &[Client]) -> HashSet<String> {
    let mut ids = HashSet::new();
    for client in clients {
        let received = client.received.lock().unwrap();
        let answered: HashSet<&String> = received.results.iter().collect();
        ids.extend(
            received
                .jobs
                .iter()
                .map(|(id, _)| id)
                .filter(|id| !answered.contains(id))
                .cloned(),
        );
    }
    ids
}

/// The verdict.
#[derive(Debug, Default)]
pub struct Tally {
    jobs: usize,
    lost: usize,
    stores_missing: usize,
    /// Broadcasts of more than one round that every subscriber got again: the whole fan-out
    /// repeated.
    fanned_out_again: usize,
    /// Extra copies of result messages.
    repeated_results: usize,
    /// Extra copies of broadcast messages, over all subscribers.
    repeated_broadcast_posts: usize,
    /// Broadcasts with at least one extra copy.
    repeated_broadcasts: usize,
    /// The most copies of one broadcast a subscriber got.
    most_copies: usize,
    reordered: usize,
    left_in_queues: usize,
}

impl Tally {
    /// No job lost, no broadcast fanned out again, no group reordered, nothing left behind.
    /// Repeated posts are reported, not failed: a worker that dies between a post and the
    /// record of it leaves that post in doubt, and the job's next delivery makes it again: a
    /// result, or the posts of one fan-out round (the README's "Guarantees and their limits").
    /// With `allow_reordered`, reordered answers are reported only.
    pub fn clean(&self, allow_reordered: bool) -> bool {
        let reordered = if allow_reordered { 0 } else { self.reordered };
        self.lost + self.stores_missing + self.fanned_out_again + reordered + self.left_in_queues == 0
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "jobs {}, lost {} (stores missing {}), broadcasts fanned out again {}, reordered {}, \
             left in the queues {}; posted again after a crash: {} results, {} broadcast posts \
             (of {} broadcasts, at most {} copies to one subscriber)",
            self.jobs,
            self.lost,
            self.stores_missing,
            self.fanned_out_again,
            self.reordered,
            self.left_in_queues,
            self.repeated_results,
            self.repeated_broadcast_posts,
            self.repeated_broadcasts,
            self.most_copies,
        )
    }
}

pub async fn check(clients: &[Client], queues: &Queues, visitors: &HashSet<String>) -> anyhow::Result<Tally> {
    let stored = queues.stored().await?;
    let tasks = clients::tasks(clients);
    let mut tally = Tally {
        jobs: tasks.len(),
        left_in_queues: queues.depth(&queues.jobs).await? + queues.depth(&queues.dlq).await?,
        ..Tally::default()
    };
    tally.stores_missing = tasks
        .iter()
        .filter(|(id, task)| task.as_str() == "store" && !stored.contains(*id))
        .count();
    let mut fanouts: HashMap<String, Fanout> = HashMap::new();
    for client in clients {
        let received = client.received.lock().unwrap();
        let replies = counts(&received.results);
        tally.lost += received
            .jobs
            .iter()
            .filter(|(id, _)| !replies.contains_key(id.as_str()))
            .count();
        tally.repeated_results += replies.values().map(|n| n - 1).sum::<usize>();
        for (id, n) in counts(&received.broadcasts) {
            fanouts.entry(id.to_owned()).or_default().add(n);
        }
        tally.reordered += reordered(&received.jobs, &received.results, visitors);
    }
    for (id, fanout) in &fanouts {
        tally.most_copies = tally.most_copies.max(fanout.most);
        if fanout.extra > 0 {
            tally.repeated_broadcasts += 1;
            tally.repeated_broadcast_posts += fanout.extra;
        }
        if fanout.repeated_whole() {
            eprintln!(
                "fanned out again: broadcast {id} reached all its {} subscribers again",
                fanout.reached
            );
            tally.fanned_out_again += 1;
        }
    }
    Ok(tally)
}

/// How one broadcast reached its subscribers.
#[derive(Default)]
struct Fanout {
    /// Subscribers that got it.
    reached: usize,
    /// Subscribers that got it more than once.
    again: usize,
    /// Copies beyond the first, over all subscribers.
    extra: usize,
    /// The most copies one subscriber got.
    most: usize,
}

impl Fanout {
    fn add(&mut self, copies: usize) {
        self.reached += 1;
        self.again += usize::from(copies > 1);
        self.extra += copies - 1;
        self.most = self.most.max(copies);
    }

    /// Every subscriber got it again, over more than one round: a redelivery that ignored the
    /// recorded progress and fanned out anew. A crash repeats at most the round in flight, so
    /// only a run of crashes landing in every round of one broadcast could look like this.
    fn repeated_whole(&self) -> bool {
        self.reached > crate::template::FANOUT && self.again == self.reached
    }
}

/// How often each id occurs.
fn counts(ids: &[String]) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    for id in ids {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    counts
}

/// Results that arrived before the result of a job sent earlier in the same group (first
/// arrival of each; jobs that visited the DLQ left out).
fn reordered(jobs: &[(String, String)], results: &[String], visitors: &HashSet<String>) -> usize {
    let position: HashMap<&str, usize> = jobs
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.as_str(), i))
        .collect();
    let mut seen = HashSet::new();
    let mut highest = None;
    let mut out_of_order = 0;
    for id in results {
        if visitors.contains(id) || !seen.insert(id) {
            continue;
        }
        let Some(&at) = position.get(id.as_str()) else {
            continue;
        };
        if let Some(h) = highest.filter(|&h| at < h) {
            eprintln!(
                "reordered: {} (sent {at}) answered after {} (sent {h})",
                id, jobs[h].0
            );
            out_of_order += 1;
        }
        highest = highest.max(Some(at));
    }
    out_of_order
}
