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

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use aws_sdk_sqs::types::{Message, QueueAttributeName};
use aws_sdk_sqs::Client;
use clap::Args;
use indicatif::ProgressBar;
use tokio::sync::{watch, Notify};
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

--concurrency pipelines (default 8) receive, send and delete at once, each on the groups its
own receive handed out: SQS gives out none of a FIFO group's messages while an earlier one is in
flight, so each group stays in order.

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
    /// Receive-deliver-delete pipelines running at once, each on its own message groups.
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=100))]
    concurrency: u16,
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
    let replay = Replay {
        sqs: &sqs,
        queue_url: &queue_url,
        wait_in_flight: Duration::from_secs(args.wait_in_flight),
        hold: Hold::new(&sqs, &queue_url, args.queue.visibility()),
        target: &target,
        filters: &args.filters,
        dry_run: args.dry_run,
        max,
        started_at: now_millis(),
        pipelines: usize::from(args.concurrency),
        shared: RefCell::new(Shared {
            journal,
            pace: Pace::new(args.rate),
            blocked_groups: HashSet::new(),
            tally: Tally::default(),
            claimed: 0,
            busy: 0,
        }),
        halted: Cell::new(false),
        progress: Notify::new(),
        bar: progress::bar(context, expected as u64),
        stop: shutdown::on_signal(),
    };
    let outcome = replay.run().await;
    let Replay {
        hold, shared, bar, ..
    } = replay;
    let Shared { tally, journal, .. } = shared.into_inner();
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

/// A run: `pipelines` loops of receive, deliver, delete, at once.
///
/// Per-group order holds across pipelines because SQS hands out none of a FIFO group's
/// messages while an earlier one is in flight: a pipeline gets a group's next message only
/// after the previous one's send was confirmed and it was deleted (or, when it failed, never
/// in this run: the failed message stays held).
struct Replay<'a> {
    sqs: &'a Client,
    queue_url: &'a str,
    wait_in_flight: Duration,
    hold: Hold<'a>,
    target: &'a Target,
    filters: &'a [Filter],
    dry_run: bool,
    max: usize,
    /// Messages sent to the DLQ from now on are not this run's (a replayed job failing again
    /// would otherwise come round again, forever).
    started_at: u64,
    pipelines: usize,
    /// What the pipelines share. They run in one task, so a `RefCell`, never borrowed across
    /// an await.
    shared: RefCell<Shared>,
    /// Set when a pipeline failed: the others stop after the batch in hand.
    halted: Cell<bool>,
    /// Woken after each batch a pipeline finished: its deletes may have unblocked groups.
    progress: Notify,
    bar: ProgressBar,
    stop: watch::Receiver<bool>,
}

struct Shared {
    /// Confirmed deliveries; `None` for a dry run.
    journal: Option<Journal>,
    pace: Pace,
    /// Groups with a failed message: their later messages must not overtake it.
    blocked_groups: HashSet<String>,
    tally: Tally,
    /// Messages pipelines asked for and have not accounted for yet: with `moved`, what `--max`
    /// bounds.
    claimed: usize,
    /// Pipelines with a batch in hand.
    busy: usize,
}

impl Shared {
    fn fail(&mut self, message: &Message, reason: &str) {
        self.tally.fail(reason);
        if let Some(group) = letter::group_id(message) {
            self.blocked_groups.insert(group.to_owned());
        }
    }
}

impl Replay<'_> {
    async fn run(&self) -> anyhow::Result<()> {
        let give_up_at = tokio::time::Instant::now() + self.wait_in_flight;
        let mut stop = self.stop.clone();
        loop {
            self.take_reachable().await?;
            let (done, progress) = {
                let tally = &self.shared.borrow().tally;
                (tally.interrupted || tally.moved >= self.max, tally.progress())
            };
            if done {
                return Ok(());
            }
            let elsewhere = self.in_flight_elsewhere().await?;
            if elsewhere == 0 {
                return Ok(());
            }
            if tokio::time::Instant::now() >= give_up_at {
                self.shared.borrow_mut().tally.in_flight = elsewhere;
                return Ok(());
            }
            self.bar
                .set_message(format!("{progress}; waiting for {elsewhere} in flight elsewhere"));
            let next = tokio::time::Instant::now() + IN_FLIGHT_POLL;
            self.hold.idle_until(next, &mut stop).await;
        }
    }

    /// Runs the pipelines until none finds anything new, `--max` is reached or a signal stops
    /// them. A pipeline's error stops the others after their batch in hand (none is dropped
    /// between its send and its delete); the first error is returned.
    async fn take_reachable(&self) -> anyhow::Result<()> {
        let pipelines = (0..self.pipelines).map(|_| async {
            let outcome = self.pipeline().await;
            if outcome.is_err() {
                self.halted.set(true);
            }
            outcome
        });
        futures::future::join_all(pipelines).await.into_iter().collect()
    }

    async fn pipeline(&self) -> anyhow::Result<()> {
        let mut stop = self.stop.clone();
        while !self.halted.get() {
            let Some((wanted, slot)) = self.claim() else {
                return Ok(());
            };
            if let Some(slot) = slot {
                self.hold.idle_until(slot, &mut stop).await;
            }
            if *stop.borrow() {
                self.settle(wanted, 0);
                self.shared.borrow_mut().tally.interrupted = true;
                return Ok(());
            }
            // Registered before the receive, so a batch finished meanwhile is not missed.
            let progress = self.progress.notified();
            tokio::pin!(progress);
            progress.as_mut().enable();
            let others_busy = self.shared.borrow().busy > 0;
            let received = match others_busy {
                // Another pipeline's delete will unblock groups: ask now, wait for it if empty.
                true => self.hold.receive_more(wanted).await,
                false => self.hold.receive(wanted).await,
            };
            let batch = received.inspect_err(|_| self.settle(wanted, 0))?;
            if batch.is_empty() {
                self.settle(wanted, 0);
                let busy = self.shared.borrow().busy > 0;
                if !busy && !others_busy {
                    // A long poll found nothing new, and no batch in hand can unblock a group.
                    return Ok(());
                }
                if busy {
                    progress.await;
                }
                continue;
            }
            self.shared.borrow_mut().busy += 1;
            let delivered = self.take(batch).await;
            self.shared.borrow_mut().busy -= 1;
            self.settle(wanted, delivered);
            self.progress.notify_waiters();
            let tally = &self.shared.borrow().tally;
            self.bar.set_position(tally.seen() as u64);
            self.bar.set_message(tally.progress());
        }
        Ok(())
    }

    /// How many messages a pipeline may receive (never more than `--max` can still take, so
    /// the limit is exact), and when, under `--rate`; `None` when `--max` is used up.
    fn claim(&self) -> Option<(usize, Option<tokio::time::Instant>)> {
        let shared = &mut *self.shared.borrow_mut();
        let left = self.max - shared.tally.moved.min(self.max);
        let wanted = left.saturating_sub(shared.claimed).min(shared.pace.batch());
        if wanted == 0 {
            return None;
        }
        shared.claimed += wanted;
        Some((wanted, shared.pace.reserve(wanted)))
    }

    /// Accounts for a claim of `wanted` of which `delivered` went to the target (those moved
    /// are already in the tally).
    fn settle(&self, wanted: usize, delivered: usize) {
        let shared = &mut *self.shared.borrow_mut();
        shared.claimed -= wanted;
        shared.pace.refund(wanted.saturating_sub(delivered));
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

    /// Sorts out a batch, delivers what may go, deletes what was delivered; returns how many
    /// were handed to the target. A message an earlier run delivered (per the journal) is
    /// deleted without being delivered again.
    async fn take(&self, batch: Vec<Message>) -> usize {
        let admitted: Vec<Message> = batch.into_iter().filter(|m| self.admit(m)).collect();
        let (resumed, ready): (Vec<Message>, Vec<Message>) = {
            let shared = self.shared.borrow();
            let earlier = |m: &Message| shared.journal.as_ref().is_some_and(|j| j.delivered(id_of(m)));
            admitted.into_iter().partition(earlier)
        };
        let results = match self.dry_run {
            true => vec![Ok(()); ready.len()],
            false => self.deliver_holding(&ready).await,
        };
        let mut sent = Vec::new();
        {
            let shared = &mut *self.shared.borrow_mut();
            for (message, result) in ready.iter().zip(results) {
                match result {
                    Ok(()) => sent.push(id_of(message)),
                    Err(reason) => shared.fail(message, &reason),
                }
            }
            if self.dry_run {
                shared.tally.moved += sent.len();
                return ready.len();
            }
            if let Some(journal) = shared.journal.as_mut() {
                if let Err(e) = journal.record(&sent) {
                    // Deleting is still right (they are delivered); only a failed delete after
                    // this would be delivered again by a re-run past the deduplication window.
                    eprintln!("warning: {e:#}");
                }
            }
            shared.tally.resumed += resumed.len();
        }
        let delivered: Vec<&str> = sent.into_iter().chain(resumed.iter().map(id_of)).collect();
        let undeleted = self.hold.delete(&delivered).await;
        let deleted: Vec<&str> = delivered
            .iter()
            .copied()
            .filter(|id| !undeleted.contains_key(*id))
            .collect();
        let shared = &mut *self.shared.borrow_mut();
        if let Some(journal) = shared.journal.as_mut() {
            journal.deleted(&deleted);
        }
        shared.tally.moved += deleted.len();
        for _ in undeleted {
            shared.tally.fail(NOT_DELETED);
        }
        ready.len()
    }

    /// Delivers while renewing the hold: an in-process delivery can run for minutes, longer than
    /// the visibility timeout, and the messages must not reappear to other consumers meanwhile.
    async fn deliver_holding(&self, ready: &[Message]) -> Vec<Result<(), String>> {
        let delivery = self.target.deliver(ready);
        tokio::pin!(delivery);
        loop {
            tokio::select! {
                results = &mut delivery => return results,
                _ = tokio::time::sleep(self.hold.renewal_period()) => self.hold.renew_if_due().await,
            }
        }
    }

    /// Whether `message` goes to the target; a message that does not is counted (and stays held).
    fn admit(&self, message: &Message) -> bool {
        let shared = &mut *self.shared.borrow_mut();
        if letter::sent_at(message).is_some_and(|t| t >= self.started_at) {
            shared.tally.skip(ARRIVED_DURING_RUN);
        } else if !filter::all_match(self.filters, message) {
            shared.tally.skip(NOT_MATCHED);
        } else if letter::group_id(message).is_some_and(|g| shared.blocked_groups.contains(g)) {
            shared.tally.skip(BEHIND_FAILURE);
        } else if let Err(reason) = self.target.check(message) {
            shared.fail(message, &reason);
        } else {
            return true;
        }
        false
    }
}

fn id_of(message: &Message) -> &str {
    message.message_id().unwrap_or_default()
}
