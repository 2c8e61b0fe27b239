//! The SQS event source emulation against a real moto server and the real `queue-worker`
//! binary: the checked-in template provisioned, its mapping polled, results posted to an
//! `@connections` stub, and failures dead-lettered — by the worker for an invalid job, by the
//! queue's redrive policy (maxReceiveCount 5) for a job whose reply keeps failing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use serde_json::json;
use wsflow_cloudformation::{provision, BackendKind, LocalEnv};
use wsflow_core::{Job, Source, Task};
use wsflow_dev::local_sdk_config;
use wsflow_dev::moto::{venv_python, MotoServer};
use wsflow_lambda::event_sources::{EventSources, Mapping, PollSettings};
use wsflow_lambda::functions::{FunctionHost, LocalFunctions};
use wsflow_lambda::runtimes::Runtimes;
use wsflow_testkit::{eventually, repo_root, ConnectionsStub};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_reach_the_worker_and_failures_reach_the_dead_letter_queue() -> anyhow::Result<()> {
    let binaries = wsflow_e2e::binaries();
    let mut moto = MotoServer::start(&venv_python(Some(&repo_root()))?, 0, None).await?;
    let stub = ConnectionsStub::start().await?;
    // The template's CALLBACK_URL is `{gateway_http}/{stage}`; the stub serves `/{stage}/@connections/…`.
    let env = LocalEnv::new(moto.endpoint(), stub.url().trim_end_matches("/test"));
    let stack = wsflow_cloudformation::load(
        &wsflow_e2e::repo_root().join("emulator/cloudformation/tests/fixtures/wsflow.template.json"),
        &env,
    )?;
    let sdk = local_sdk_config(moto.endpoint(), "us-east-1").await;
    let backend = BackendKind::Moto {
        endpoint: moto.endpoint().to_owned(),
    };
    provision(&stack, &sdk, backend).await?;

    let host = FunctionHost {
        env: &env,
        runtimes: &Runtimes {
            binaries,
            ..Runtimes::default()
        },
        concurrency: 2,
    };
    let (functions, statuses) = LocalFunctions::start(&stack.functions, &host).await;
    assert!(statuses.iter().all(|s| s.state.is_ok()), "{statuses:?}");
    let functions = Arc::new(functions);
    // A 1 s visibility timeout instead of the queue's 180 s: a failed job is received again,
    // and dead-lettered after its fifth receive, within seconds.
    let settings = PollSettings {
        visibility_timeout: Some(1),
        function_concurrency: 2,
    };
    let mappings = stack
        .event_sources
        .iter()
        .map(|m| Mapping::resolve(m, &stack, settings))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    assert_eq!(mappings.len(), 1);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let sources = EventSources::start(&mappings, &sqs, functions.clone());

    let jobs = stack.queue("JobsQueue24944186").unwrap().url.clone();
    let dlq = stack.queue("JobsDeadLetterQueue8CC426EE").unwrap().url.clone();
    stub.mark_failing("c-flaky");
    let notify = |connection: &str| {
        Job::new(
            connection,
            &format!("r-{connection}"),
            Task::Notify,
            json!({"n": 1}),
            Source::Cli,
        )
        .to_body()
    };
    let invalid = json!({"v": 1, "connectionId": "c-bad", "requestId": "r-bad", "receivedAt": 1,
                         "task": "explode", "data": {}, "source": "cli"})
    .to_string();
    for (connection, body) in [
        ("c-ok", notify("c-ok")),
        ("c-bad", invalid),
        ("c-flaky", notify("c-flaky")),
    ] {
        sqs.send_message()
            .queue_url(&jobs)
            .message_body(body)
            .message_group_id(connection)
            .message_deduplication_id(format!("d-{connection}"))
            .send()
            .await?;
    }

    eventually(WAIT, "the result of c-ok's job", || async {
        !stub.posts_to("c-ok").is_empty()
    })
    .await?;
    let result = &stub.posts_to("c-ok")[0];
    assert_eq!(result["type"], "result");
    assert_eq!(result["status"], "ok");
    assert_eq!(result["requestId"], "r-c-ok");

    let dead = DeadLetters::default();
    eventually(WAIT, "c-bad and c-flaky in the dead-letter queue", || {
        dead.both_arrived(&sqs, &dlq)
    })
    .await?;
    let bad = dead.of("c-bad");
    let reason = bad
        .message_attributes()
        .and_then(|a| a.get("ErrorReason"))
        .and_then(|v| v.string_value());
    assert!(
        reason.is_some(),
        "the worker forwards an invalid job with its reason: {bad:?}"
    );
    let flaky = dead.of("c-flaky");
    let receives = flaky
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount));
    assert!(
        flaky
            .message_attributes()
            .is_none_or(|a| !a.contains_key("ErrorReason")),
        "redriven as sent: {flaky:?}"
    );
    assert!(receives.is_some(), "{flaky:?}");
    assert_eq!(
        stub.posts_to("c-bad")[0]["status"],
        "error",
        "the client is told about its invalid job"
    );

    eventually(WAIT, "an empty jobs queue", || async {
        depth(&sqs, &jobs).await == 0
    })
    .await?;
    sources.stop().await;
    functions.stop();
    moto.stop().await;
    Ok(())
}

/// Messages received from the dead-letter queue so far (kept in flight, not deleted).
#[derive(Default)]
struct DeadLetters(Mutex<Vec<Message>>);

impl DeadLetters {
    async fn both_arrived(&self, sqs: &aws_sdk_sqs::Client, dlq: &str) -> bool {
        let received = sqs
            .receive_message()
            .queue_url(dlq)
            .max_number_of_messages(10)
            .visibility_timeout(60)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receiving from the dead-letter queue");
        let mut seen = self.0.lock().unwrap();
        seen.extend(received.messages.unwrap_or_default());
        ["c-bad", "c-flaky"]
            .iter()
            .all(|c| seen.iter().any(|m| group(m) == Some(c)))
    }

    fn of(&self, connection: &str) -> Message {
        let seen = self.0.lock().unwrap();
        seen.iter()
            .find(|m| group(m) == Some(connection))
            .cloned()
            .expect("received")
    }
}

fn group(message: &Message) -> Option<&str> {
    message
        .attributes()?
        .get(&MessageSystemAttributeName::MessageGroupId)
        .map(String::as_str)
}

/// Visible plus in-flight messages.
async fn depth(sqs: &aws_sdk_sqs::Client, queue: &str) -> usize {
    let out = sqs
        .get_queue_attributes()
        .queue_url(queue)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("queue attributes");
    let attributes = out.attributes.unwrap_or_default();
    attributes.values().map(|v| v.parse::<usize>().unwrap_or(0)).sum()
}
