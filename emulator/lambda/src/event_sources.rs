//! The SQS event source mappings, emulated: pollers that receive batches from a queue, invoke
//! the function with Lambda's SQS event and delete what the function's answer says succeeded
//! (see [`crate::batch_outcome`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::Functions;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use tokio::sync::watch;
use tokio::task::JoinSet;
use wsflow_cloudformation::{EventSourceMapping, Stack};

use crate::batch_outcome;
use crate::sqs_event::{self, EventSource};

/// ReceiveMessage's limit per call.
const RECEIVE_MAX: u32 = 10;
/// Each receive long-polls at most this long, so a stop request is noticed within a second.
const RECEIVE_WAIT_S: i32 = 1;
/// Pause after a failed receive before the next one.
const RECEIVE_RETRY: Duration = Duration::from_secs(1);

/// How the mappings run beyond what the template says.
#[derive(Debug, Clone, Copy)]
pub struct PollSettings {
    /// Overrides every queue's visibility timeout (seconds) for the receives.
    pub visibility_timeout: Option<u32>,
    /// Processes per function: more concurrent batches than that would only wait for one,
    /// their visibility timeout running.
    pub function_concurrency: usize,
}

/// One mapping, resolved against its queue.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// Logical id of the `AWS::Lambda::EventSourceMapping`.
    pub logical_id: String,
    /// Logical id of the function.
    pub function: String,
    /// The URL of the queue on the backend, where it receives and deletes.
    pub queue_url: String,
    /// The queue as the event's records name it (`eventSourceARN`, `awsRegion`).
    pub source: EventSource,
    /// `BatchSize`: the most messages per invocation (at least 1).
    pub batch_size: u32,
    /// `MaximumBatchingWindowInSeconds`: how long to keep receiving to fill a batch; zero
    /// invokes with what the first receive returned.
    pub batching_window: Duration,
    /// `FunctionResponseTypes` has `ReportBatchItemFailures`: the function's answer names the
    /// messages that failed (see [`batch_outcome`]).
    pub report_batch_item_failures: bool,
    /// The visibility timeout of each receive, in seconds: the queue's, unless
    /// [`PollSettings::visibility_timeout`] overrides it.
    pub visibility_timeout_s: u32,
    /// Concurrent batches: the mapping's maximum concurrency, bounded by the function's
    /// processes, for FIFO queues as for standard ones (a FIFO group is in one batch at a time).
    pub pollers: usize,
}

impl Mapping {
    /// The mapping as local mode runs it, or why it does not run.
    pub fn resolve(
        mapping: &EventSourceMapping,
        stack: &Stack,
        settings: PollSettings,
    ) -> Result<Mapping, String> {
        if !mapping.enabled {
            return Err("disabled in the template".into());
        }
        let queue = stack
            .queue(&mapping.queue)
            .ok_or_else(|| format!("its queue `{}` is not an SQS queue of the stack", mapping.queue))?;
        // FIFO queues too: Lambda scales a FIFO mapping up to its active message groups
        // ("Configuring scaling behavior for SQS event source mappings": concurrent invocations
        // are capped by the number of message group IDs or the maximum concurrency), and SQS
        // hands a group's messages to one receiver at a time, so no two batches share a group.
        let wanted = mapping.max_concurrency.map_or(usize::MAX, |n| n as usize);
        let pollers = wanted.min(settings.function_concurrency).max(1);
        Ok(Mapping {
            logical_id: mapping.logical_id.clone(),
            function: mapping.function.clone(),
            queue_url: queue.url.clone(),
            source: EventSource {
                queue_arn: queue.arn.clone(),
                region: region_of(&queue.arn),
            },
            batch_size: mapping.batch_size.max(1),
            batching_window: Duration::from_secs(mapping.batching_window_s.into()),
            report_batch_item_failures: mapping.report_batch_item_failures,
            visibility_timeout_s: settings.visibility_timeout.unwrap_or(queue.visibility_timeout_s),
            pollers,
        })
    }
}

/// A message for the debug log: its id, group and receive count.
fn described(message: &Message) -> String {
    let attribute = |name| {
        message
            .attributes()
            .and_then(|a| a.get(&name))
            .map_or("-", String::as_str)
    };
    format!(
        "{} group {} received {}",
        message.message_id().unwrap_or_default(),
        attribute(MessageSystemAttributeName::MessageGroupId),
        attribute(MessageSystemAttributeName::ApproximateReceiveCount)
    )
}

/// `arn:aws:sqs:{region}:…`.
fn region_of(arn: &str) -> String {
    arn.split(':').nth(3).unwrap_or_default().to_owned()
}

/// The running pollers of every mapping.
pub struct EventSources {
    stop: watch::Sender<bool>,
    pollers: JoinSet<()>,
}

impl EventSources {
    /// Spawns each mapping's pollers ([`Mapping::pollers`] of them), receiving with `sqs` and
    /// invoking through `functions`. They run until [`EventSources::stop`].
    pub fn start(
        mappings: &[Mapping],
        sqs: &aws_sdk_sqs::Client,
        functions: Arc<dyn Functions>,
    ) -> EventSources {
        let (stop, stopped) = watch::channel(false);
        let mut pollers = JoinSet::new();
        for mapping in mappings {
            let poller = Arc::new(Poller {
                mapping: mapping.clone(),
                sqs: sqs.clone(),
                functions: functions.clone(),
            });
            for _ in 0..mapping.pollers {
                pollers.spawn(poller.clone().run(stopped.clone()));
            }
        }
        EventSources { stop, pollers }
    }

    /// Stops receiving; every batch in hand is finished (invoked and deleted) first.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        while let Some(joined) = self.pollers.join_next().await {
            if let Err(e) = joined {
                tracing::error!("an event source poller failed: {e}");
            }
        }
    }
}

struct Poller {
    mapping: Mapping,
    sqs: aws_sdk_sqs::Client,
    functions: Arc<dyn Functions>,
}

impl Poller {
    async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        while !*stopped.borrow() {
            let received = Instant::now();
            match self.collect_batch(&stopped).await {
                Ok(batch) if batch.is_empty() => {}
                Ok(batch) => self.run_batch(&batch, received).await,
                Err(e) => {
                    tracing::warn!(mapping = %self.mapping.logical_id, "receiving from {}: {e:#}", self.mapping.queue_url);
                    tokio::select! {
                        _ = tokio::time::sleep(RECEIVE_RETRY) => {}
                        _ = stopped.changed() => {}
                    }
                }
            }
        }
    }

    /// Receives until the batch is full or the batching window has passed (at once without a
    /// window, as Lambda does), or a stop is requested.
    async fn collect_batch(&self, stopped: &watch::Receiver<bool>) -> anyhow::Result<Vec<Message>> {
        let deadline = Instant::now() + self.mapping.batching_window;
        let mut batch = Vec::new();
        loop {
            let room = (self.mapping.batch_size as usize - batch.len()).min(RECEIVE_MAX as usize);
            batch.extend(self.receive(room as i32).await?);
            let full = batch.len() >= self.mapping.batch_size as usize;
            if full || Instant::now() >= deadline || *stopped.borrow() {
                return Ok(batch);
            }
        }
    }

    async fn receive(&self, max: i32) -> anyhow::Result<Vec<Message>> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.mapping.queue_url)
            .max_number_of_messages(max)
            .wait_time_seconds(RECEIVE_WAIT_S)
            .visibility_timeout(self.mapping.visibility_timeout_s as i32)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await?;
        Ok(out.messages.unwrap_or_default())
    }

    /// `received`: when the receives of the batch began, the earliest its hold can end.
    async fn run_batch(&self, batch: &[Message], received: Instant) {
        let mapping = &self.mapping;
        tracing::debug!(
            mapping = %mapping.logical_id,
            messages = ?batch.iter().map(described).collect::<Vec<_>>(),
            "invoking with a batch"
        );
        let event = sqs_event::lambda_event(batch, &mapping.source);
        let answer = self
            .functions
            .invoke(&mapping.function, &event)
            .await
            .map_err(|e| e.to_string());
        self.check_hold(received.elapsed());
        let ids: Vec<String> = batch
            .iter()
            .map(|m| m.message_id().unwrap_or_default().to_owned())
            .collect();
        let outcome = batch_outcome::decide(&ids, &answer, mapping.report_batch_item_failures);
        if let Some(failure) = &outcome.failure {
            tracing::warn!(
                mapping = %mapping.logical_id,
                "{failure}; {} of {} message(s) stay on the queue and reappear after {} s",
                ids.len() - outcome.delete.len(),
                ids.len(),
                mapping.visibility_timeout_s
            );
        }
        let done: Vec<&Message> = batch
            .iter()
            .filter(|m| {
                outcome
                    .delete
                    .iter()
                    .any(|id| Some(id.as_str()) == m.message_id())
            })
            .collect();
        self.delete(&done).await;
    }

    /// Warns when an invocation outlived its batch's visibility timeout: SQS may have handed the
    /// messages out again meanwhile (a FIFO group's next ones too, once redrive moved them to the
    /// DLQ), as it would in AWS, which is why AWS advises a visibility timeout of at least six
    /// times the function timeout (Lambda Developer Guide, "Using Lambda with Amazon SQS").
    fn check_hold(&self, held: Duration) {
        let visibility = Duration::from_secs(self.mapping.visibility_timeout_s.into());
        if held > visibility {
            tracing::warn!(
                mapping = %self.mapping.logical_id,
                "a batch was held {:.1} s, past the queue's visibility timeout of {} s: its messages may have been received again; make the visibility timeout at least six times the function timeout",
                held.as_secs_f64(),
                self.mapping.visibility_timeout_s
            );
        }
    }

    async fn delete(&self, messages: &[&Message]) {
        for chunk in messages.chunks(RECEIVE_MAX as usize) {
            let entries = chunk.iter().enumerate().map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .build()
                    .expect("id and receipt handle are set")
            });
            let deleted = self
                .sqs
                .delete_message_batch()
                .queue_url(&self.mapping.queue_url)
                .set_entries(Some(entries.collect()))
                .send()
                .await;
            match deleted {
                Ok(out) if out.failed.is_empty() => {}
                Ok(out) => {
                    tracing::warn!(mapping = %self.mapping.logical_id, "could not delete: {:?}", out.failed)
                }
                Err(e) => tracing::warn!(mapping = %self.mapping.logical_id, "deleting a batch: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsflow_cloudformation::Queue;

    fn stack(fifo: bool) -> Stack {
        Stack {
            queues: vec![Queue {
                logical_id: "Q".into(),
                name: "q".into(),
                url: "http://127.0.0.1:4566/123456789012/q".into(),
                arn: "arn:aws:sqs:eu-west-1:123456789012:q".into(),
                fifo,
                content_based_dedup: false,
                visibility_timeout_s: 180,
                attributes: Default::default(),
                redrive: None,
            }],
            ..Stack::default()
        }
    }

    fn mapping(max_concurrency: Option<u32>) -> EventSourceMapping {
        EventSourceMapping {
            logical_id: "M".into(),
            function: "F".into(),
            queue: "Q".into(),
            batch_size: 10,
            batching_window_s: 0,
            report_batch_item_failures: true,
            max_concurrency,
            enabled: true,
        }
    }

    const SETTINGS: PollSettings = PollSettings {
        visibility_timeout: None,
        function_concurrency: 2,
    };

    #[test]
    fn fifo_and_standard_queues_get_their_concurrency_within_the_pool() {
        let fifo = Mapping::resolve(&mapping(Some(5)), &stack(true), SETTINGS).unwrap();
        assert_eq!(fifo.pollers, 2);
        let bounded = Mapping::resolve(&mapping(Some(5)), &stack(false), SETTINGS).unwrap();
        assert_eq!(bounded.pollers, 2);
        let one = Mapping::resolve(&mapping(Some(1)), &stack(false), SETTINGS).unwrap();
        assert_eq!(one.pollers, 1);
        assert_eq!(one.source.region, "eu-west-1");
        assert_eq!(one.visibility_timeout_s, 180);
    }

    #[test]
    fn the_visibility_override_wins_and_disabled_mappings_do_not_run() {
        let settings = PollSettings {
            visibility_timeout: Some(2),
            ..SETTINGS
        };
        assert_eq!(
            Mapping::resolve(&mapping(None), &stack(true), settings)
                .unwrap()
                .visibility_timeout_s,
            2
        );
        let disabled = EventSourceMapping {
            enabled: false,
            ..mapping(None)
        };
        assert!(Mapping::resolve(&disabled, &stack(true), SETTINGS).is_err());
    }
}
