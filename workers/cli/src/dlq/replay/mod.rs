//! `wsflow dlq replay`: dead letters back to their queue (or through the worker's handler).
//!
//! A message leaves the DLQ only after its delivery is confirmed. Everything received but not
//! delivered (skipped, failed, or arrived during the run) is held until the run ends and then
//! released, so the run gets past it instead of being handed it again.

mod in_process;
mod journal;
mod pace;
mod queue_target;
mod tally;
mod target;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use aws_sdk_sqs::types::{Message, QueueAttributeName};
use aws_sdk_sqs::Client;
use clap::Args;
use indicatif::ProgressBar;
use tokio::sync::watch;
use wsflow_core::envelope::now_millis;

use super::filter::{self, Filter};
use super::hold::Hold;
use super::scan::QueueArgs;
use super::{letter, progress, source};
use crate::context::Context;
use crate::{queues, shutdown};
use in_process::InProcess;
use journal::Journal;
use pace::Pace;
use queue_target::QueueTarget;
use tally::{Summary, Tally};
use target::Target;

const NOT_MATCHED: &str = "not matched by --filter";
const ARRIVED_DURING_RUN: &str = "dead-lettered after this replay started";
const BEHIND_FAILURE: &str = "held back behind a failed message of the same group (order)";
const NOT_DELETED: &str = "delivered but not deleted from the DLQ; recorded in the journal, so a \
     re-run deletes it without delivering it again";
/// Exit status of a run stopped by SIGINT/SIGTERM, as a shell reports it.
const INTERRUPTED: u8 = 130;
/// Exit status of a run that ended with messages in flight elsewhere (EX_TEMPFAIL: try again).
const IN_FLIGHT: u8 = 75;
/// How often a run waiting for messages in flight elsewhere looks again.
const IN_FLIGHT_POLL: Duration = Duration::from_secs(1);

#[derive(Args)]
#[command(about = "Move dead letters back to their source queue (or run them through the worker)")]
#[command(
    after_help = "The target defaults to the queue whose redrive policy names the DLQ. Messages keep
their body, MessageGroupId and attributes (FirstFailureAt, Task and any others; ErrorReason and
ErrorMessage are dropped, the worker sets fresh ones if the job fails again). Each gets the
deduplication id `replay-<DLQ message id>`, so a run repeated after a crash is deduplicated by SQS
(within its 5-minute window) instead of delivered twice. A message is deleted from the DLQ only
after SQS confirmed its send. A FIFO DLQ needs a FIFO target.

Filters (repeatable; all must match):
  task=NAME            the Task attribute, else the body's task
  group=ID             the MessageGroupId
  reason=REASON        the ErrorReason attribute; `redrive` for messages SQS' redrive moved
  attr.NAME=VALUE      a string message attribute
  body./ptr=VALUE      the JSON body at an RFC 6901 pointer; strings compare as text, other
                       values as JSON (body./data/n=42, body./data/ok=true)

Each confirmed delivery is recorded in a journal (--journal; synced before the DLQ delete), so a
run that delivered but could not delete (killed, or the delete failed) is finished by a re-run at
any later time without delivering twice, also past SQS' 5-minute deduplication window.

A run does not report completion while the DLQ holds messages in flight elsewhere (received by
another consumer, such as an interrupted replay, until its visibility timeout ends): it waits
for them up to --wait-in-flight, then exits with status 75 saying how many are left.

Messages not taken (filtered out, failed, dead-lettered during the run) are held invisible until
the run ends, then released. In a FIFO queue a group's later messages are reachable only after
its earlier ones left, so a --dry-run (which moves nothing) sees each group's first messages.
SIGINT/SIGTERM finishes the batch in hand, then stops (exit status 130). Exit status 1 means
some messages failed; they stay in the DLQ. Exit status 75 means messages were in flight
elsewhere; run again once they return.

Examples:
  wsflow dlq replay --queue wsflow-jobs-dlq.fifo --dry-run
  wsflow dlq replay --queue wsflow-jobs-dlq.fifo --filter task=store --filter reason=redrive
  wsflow dlq replay --queue wsflow-jobs-dlq.fifo --max 100
  wsflow dlq replay --queue wsflow-jobs-dlq.fifo --to wsflow-jobs.fifo --rate 20/s
  wsflow dlq replay --queue wsflow-jobs-dlq.fifo --filter 'body./data/topic=news'
  CONNECTIONS_TABLE=… RESULTS_TABLE=… IDEMPOTENCY_TABLE=… DLQ_URL=… CALLBACK_URL=… \\
    wsflow dlq replay --queue wsflow-jobs-dlq.fifo --in-process"
)]
pub struct ReplayArgs {
    #[command(flatten)]
    queue: QueueArgs,
    /// Target queue URL or name (default: the source queue from the redrive policy).
    #[arg(long, conflicts_with = "in_process")]
    to: Option<String>,
    /// Show what would move; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Move at most this many messages.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max: Option<u64>,
    /// Take only matching messages (see below); repeat to combine.
    #[arg(long = "filter", value_name = "EXPR")]
    filters: Vec<Filter>,
    /// At most this many messages per second (`50/s`, `0.5`).
    #[arg(long, value_name = "N/s", value_parser = pace::parse_rate)]
    rate: Option<f64>,
    /// Run the worker's handler on the messages instead of re-queueing them (worker environment
    /// variables as for `wsflow worker`); deletes only the jobs it completed.
    #[arg(long)]
    in_process: bool,
    /// The journal of confirmed deliveries (default: one file per DLQ under
    /// $XDG_STATE_HOME/wsflow/replay, else ~/.local/state/wsflow/replay).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// How long to wait for messages in flight elsewhere before giving up (exit status 75).
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    wait_in_flight: u64,
}

pub async fn run(context: &Context, args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let sqs = context.sqs();
    let queue_url = args.queue.resolve(&sqs).await?;
    let depth_name = QueueAttributeName::ApproximateNumberOfMessages;
    let depth = queues::attributes(&sqs, &queue_url, std::slice::from_ref(&depth_name)).await?;
    let target = open_target(context, &sqs, &queue_url, &args).await?;
    let max = args.max.map_or(usize::MAX, |m| m as usize);
    let expected = (queues::count(&depth, &depth_name) as usize).min(max);
    let journal = match args.dry_run {
        true => None,
        false => {
            let path = args
                .journal
                .clone()
                .unwrap_or_else(|| Journal::default_path(&queue_url));
            Some(Journal::open(&path)?)
        }
    };
    let mut replay = Replay {
        sqs: &sqs,
        queue_url: &queue_url,
        journal,
        wait_in_flight: Duration::from_secs(args.wait_in_flight),
        hold: Hold::new(&sqs, &queue_url, args.queue.visibility()),
        target: &target,
        filters: &args.filters,
        dry_run: args.dry_run,
        max,
        started_at: now_millis(),
        pace: Pace::new(args.rate),
        blocked_groups: HashSet::new(),
        tally: Tally::default(),
        bar: progress::bar(context, expected as u64),
        stop: shutdown::on_signal(),
    };
    let outcome = replay.run().await;
    let Replay {
        hold,
        tally,
        bar,
        journal,
        ..
    } = replay;
    bar.finish_and_clear();
    hold.release().await;
    if let Some(journal) = journal {
        journal.compact()?;
    }
    let summary = Summary {
        queue_url,
        target: target.name(),
        dry_run: args.dry_run,
        tally,
    };
    // What was done before an error is reported too, so a re-run is not a guess.
    context.print(&summary, || summary.human());
    outcome?;
    Ok(exit_code(&summary.tally))
}

async fn open_target(
    context: &Context,
    sqs: &Client,
    queue_url: &str,
    args: &ReplayArgs,
) -> anyhow::Result<Target> {
    if args.in_process {
        return Ok(Target::InProcess(InProcess::from_env(context)?));
    }
    let url = match &args.to {
        Some(to) => queues::resolve(sqs, to).await?,
        None => source::only_source(sqs, queue_url).await?,
    };
    Ok(Target::Queue(QueueTarget::open(sqs, url, queue_url).await?))
}

fn exit_code(tally: &Tally) -> ExitCode {
    if tally.failed > 0 {
        ExitCode::FAILURE
    } else if tally.in_flight > 0 {
        ExitCode::from(IN_FLIGHT)
    } else if tally.interrupted {
        ExitCode::from(INTERRUPTED)
    } else {
        ExitCode::SUCCESS
    }
}

struct Replay<'a> {
    sqs: &'a Client,
    queue_url: &'a str,
    /// Confirmed deliveries; `None` for a dry run.
    journal: Option<Journal>,
    wait_in_flight: Duration,
    hold: Hold<'a>,
    target: &'a Target,
    filters: &'a [Filter],
    dry_run: bool,
    max: usize,
    /// Messages sent to the DLQ from now on are not this run's (a replayed job failing again
    /// would otherwise come round again, forever).
    started_at: u64,
    pace: Pace,
    /// Groups with a failed message: their later messages must not overtake it.
    blocked_groups: HashSet<String>,
    tally: Tally,
    bar: ProgressBar,
    stop: watch::Receiver<bool>,
}

impl Replay<'_> {
    async fn run(&mut self) -> anyhow::Result<()> {
        let give_up_at = tokio::time::Instant::now() + self.wait_in_flight;
        loop {
            self.take_reachable().await?;
            if self.tally.interrupted || self.tally.moved >= self.max {
                return Ok(());
            }
            let elsewhere = self.in_flight_elsewhere().await?;
            if elsewhere == 0 {
                return Ok(());
            }
            if tokio::time::Instant::now() >= give_up_at {
                self.tally.in_flight = elsewhere;
                return Ok(());
            }
            self.bar.set_message(format!(
                "{}; waiting for {elsewhere} in flight elsewhere",
                self.tally.progress()
            ));
            let next = tokio::time::Instant::now() + IN_FLIGHT_POLL;
            self.hold.idle_until(next, &mut self.stop).await;
        }
    }

    /// Takes batches until nothing new is reachable, `--max` is reached or a signal stops it.
    async fn take_reachable(&mut self) -> anyhow::Result<()> {
        while self.tally.moved < self.max {
            if let Some(next) = self.pace.next_at() {
                self.hold.idle_until(next, &mut self.stop).await;
            }
            if *self.stop.borrow() {
                self.tally.interrupted = true;
                break;
            }
            // Never more than `--max` can still take, so the limit is exact.
            let wanted = (self.max - self.tally.moved).min(self.pace.batch());
            let batch = self.gather(wanted).await?;
            if batch.is_empty() {
                break;
            }
            self.take(batch).await;
            self.bar.set_position(self.tally.seen() as u64);
            self.bar.set_message(self.tally.progress());
        }
        Ok(())
    }

    /// One receive (empty: nothing new is reachable), then more without waiting until
    /// `wanted` messages are in hand or an answer comes back empty.
    async fn gather(&mut self, wanted: usize) -> anyhow::Result<Vec<Message>> {
        let mut batch = self.hold.receive(wanted).await?;
        while !batch.is_empty() && batch.len() < wanted {
            let fresh = self.hold.receive_more(wanted - batch.len()).await?;
            if fresh.is_empty() {
                break;
            }
            batch.extend(fresh);
        }
        Ok(batch)
    }

    /// Messages of the DLQ in flight that this run does not hold: received by another consumer
    /// (an interrupted replay holds its messages until their visibility timeout ends). SQS'
    /// counts are approximate, so this may see a few too many for a while: the safe side, a
    /// wait, not a false "done".
    async fn in_flight_elsewhere(&self) -> anyhow::Result<usize> {
        let name = QueueAttributeName::ApproximateNumberOfMessagesNotVisible;
        let attributes = queues::attributes(self.sqs, self.queue_url, std::slice::from_ref(&name)).await?;
        Ok((queues::count(&attributes, &name) as usize).saturating_sub(self.hold.len()))
    }

    /// Sorts out a batch, delivers what may go, deletes what was delivered. A message an
    /// earlier run delivered (per the journal) is deleted without being delivered again.
    async fn take(&mut self, batch: Vec<Message>) {
        let admitted: Vec<Message> = batch.into_iter().filter(|m| self.admit(m)).collect();
        let (resumed, ready): (Vec<Message>, Vec<Message>) = admitted
            .into_iter()
            .partition(|m| self.journal.as_ref().is_some_and(|j| j.delivered(id_of(m))));
        let results = match self.dry_run {
            true => vec![Ok(()); ready.len()],
            false => self.deliver_holding(&ready).await,
        };
        self.pace.delivered(ready.len());
        let mut sent = Vec::new();
        for (message, result) in ready.iter().zip(results) {
            match result {
                Ok(()) => sent.push(id_of(message)),
                Err(reason) => self.fail(message, &reason),
            }
        }
        if self.dry_run {
            self.tally.moved += sent.len();
            return;
        }
        if let Some(journal) = self.journal.as_mut() {
            if let Err(e) = journal.record(&sent) {
                // Deleting is still right (they are delivered); only a failed delete after this
                // would be delivered again by a re-run past the deduplication window.
                eprintln!("warning: {e:#}");
            }
        }
        self.tally.resumed += resumed.len();
        let delivered: Vec<&str> = sent.into_iter().chain(resumed.iter().map(id_of)).collect();
        let undeleted = self.hold.delete(&delivered).await;
        let deleted: Vec<&str> = delivered
            .iter()
            .copied()
            .filter(|id| !undeleted.contains_key(*id))
            .collect();
        if let Some(journal) = self.journal.as_mut() {
            journal.deleted(&deleted);
        }
        self.tally.moved += deleted.len();
        for _ in undeleted {
            self.tally.fail(NOT_DELETED);
        }
    }

    /// Delivers while renewing the hold: an in-process delivery can run for minutes, longer than
    /// the visibility timeout, and the messages must not reappear to other consumers meanwhile.
    async fn deliver_holding(&mut self, ready: &[Message]) -> Vec<Result<(), String>> {
        let target = self.target;
        let delivery = target.deliver(ready);
        tokio::pin!(delivery);
        loop {
            tokio::select! {
                results = &mut delivery => return results,
                _ = tokio::time::sleep(self.hold.renewal_period()) => self.hold.renew_if_due().await,
            }
        }
    }

    /// Whether `message` goes to the target; a message that does not is counted (and stays held).
    fn admit(&mut self, message: &Message) -> bool {
        if letter::sent_at(message).is_some_and(|t| t >= self.started_at) {
            self.tally.skip(ARRIVED_DURING_RUN);
        } else if !filter::all_match(self.filters, message) {
            self.tally.skip(NOT_MATCHED);
        } else if letter::group_id(message).is_some_and(|g| self.blocked_groups.contains(g)) {
            self.tally.skip(BEHIND_FAILURE);
        } else if let Err(reason) = self.target.check(message) {
            self.fail(message, &reason);
        } else {
            return true;
        }
        false
    }

    fn fail(&mut self, message: &Message, reason: &str) {
        self.tally.fail(reason);
        if let Some(group) = letter::group_id(message) {
            self.blocked_groups.insert(group.to_owned());
        }
    }
}

fn id_of(message: &Message) -> &str {
    message.message_id().unwrap_or_default()
}
