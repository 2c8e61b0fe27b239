//! `wsflow dlq replay` and `export` under faults: the real binary, killed mid-run or reaching
//! moto through the fault proxy. SQS deduplicates a FIFO send only within five minutes
//! ("Exactly-once processing", SQS Developer Guide); moto deduplicates only against messages still
//! in the queue, so a target drained by its consumer plays the part of an expired window here.

mod common;

use std::time::Duration;

use common::*;
use wsflow_testkit::{eventually, ConnectionsStub, Fault, FaultKind, FaultProxy};

fn journal_path(test: &str) -> String {
    let dir = std::env::temp_dir().join(format!("wsflow-replay-faults-{}", std::process::id()));
    dir.join(format!("{test}.journal")).to_str().unwrap().to_owned()
}

/// `wsflow --json dlq replay` of `dlq`, recording deliveries in `journal`.
fn replay_args<'a>(dlq: &'a str, journal: &'a str) -> Vec<&'a str> {
    vec!["--json", "dlq", "replay", "--queue", dlq, "--journal", journal]
}

/// The real binary reaching the backend through `proxy`.
fn wsflow_via(proxy: &FaultProxy, args: &[&str]) -> tokio::process::Command {
    let mut command = wsflow_testkit::processes::command(env!("CARGO_BIN_EXE_wsflow"), proxy.url());
    command.args(args);
    command
}

#[tokio::test]
async fn a_rerun_right_after_a_kill_does_not_report_done_while_the_killed_run_holds_messages() {
    let b = TestBackend::start().await;
    b.seed(b.dlq(), "dead", &interleaved(12, 10)).await;
    let journal = journal_path("kill");
    let replay = |extra: &[&str]| {
        let mut args = replay_args(b.dlq(), &journal);
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    // The killed run holds what it skipped (every group but one) until its visibility ends.
    let slow = replay(&[
        "--filter",
        "group=g00",
        "--rate",
        "5/s",
        "--visibility-timeout",
        "6",
    ]);
    let mut child = b.spawn(&slow.iter().map(String::as_str).collect::<Vec<_>>());
    b.await_depth(b.jobs(), 2).await;
    child.kill().await.unwrap();

    let impatient = replay(&["--wait-in-flight", "0"]);
    let out = b
        .run(&impatient.iter().map(String::as_str).collect::<Vec<_>>())
        .await;

    assert_eq!(out.status.code(), Some(75), "not done: {}", stdout(&out));
    let summary = json_summary(&out);
    assert!(summary["inFlight"].as_u64().unwrap() > 0, "{summary}");
    let patient = replay(&[]);
    let out = b
        .run(&patient.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(b.depth(b.dlq()).await, (0, 0));
    assert_exactly_once_in_order(&b.drain(b.jobs()).await, 12, 10);
}

#[tokio::test]
async fn a_rerun_past_the_deduplication_window_does_not_deliver_again() {
    let b = TestBackend::start().await;
    b.seed(b.dlq(), "dead", &interleaved(3, 1)).await;
    let proxy = FaultProxy::start(b.moto.endpoint()).await.unwrap();
    proxy.inject(Fault::always(FaultKind::Reset, &["DeleteMessageBatch"]));
    let journal = journal_path("window");
    let args = replay_args(b.dlq(), &journal);

    let out = wsflow_via(&proxy, &args).output().await.unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(json_summary(&out)["failed"], 3, "delivered, not deleted");
    assert_eq!(b.drain(b.jobs()).await.len(), 3, "delivered once and consumed");

    let out = b.run(&args).await;

    assert!(out.status.success(), "{}", stderr(&out));
    let summary = json_summary(&out);
    assert_eq!(
        (summary["moved"].as_u64(), summary["resumed"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(b.depth(b.dlq()).await, (0, 0));
    assert_eq!(b.depth(b.jobs()).await, (0, 0), "nothing delivered twice");
}

/// Eight pipelines at once (the default), with sends failing, sends applied but their answer
/// lost, and deletes failing, all at random: re-runs until the DLQ is empty deliver every
/// message once and each group in order. SQS hands out none of a FIFO group's messages while an
/// earlier one is in flight ("Using the message group ID", SQS Developer Guide), which is what
/// keeps concurrent pipelines off each other's groups; a lost answer is covered by the replay's
/// deduplication id, a failed delete by the journal.
#[tokio::test]
async fn concurrent_pipelines_keep_every_group_in_order_while_sends_and_deletes_fail() {
    let b = TestBackend::start().await;
    b.seed(b.dlq(), "dead", &interleaved(40, 8)).await;
    let proxy = FaultProxy::start(b.moto.endpoint()).await.unwrap();
    proxy.inject(Fault::at_rate(0.6, FaultKind::Status(500), &["SendMessageBatch"]));
    proxy.inject(Fault::at_rate(
        0.15,
        FaultKind::DropResponse,
        &["SendMessageBatch"],
    ));
    proxy.inject(Fault::at_rate(0.15, FaultKind::Reset, &["DeleteMessageBatch"]));
    let journal = journal_path("pipelines");
    let args = replay_args(b.dlq(), &journal);

    let mut runs = Vec::new();
    while b.depth(b.dlq()).await != (0, 0) {
        assert!(runs.len() < 40, "the DLQ never emptied: {runs:?}");
        let out = wsflow_via(&proxy, &args).output().await.unwrap();
        let summary = json_summary(&out);
        runs.push((summary["moved"].as_u64(), summary["failed"].as_u64()));
    }

    assert!(proxy.injected() > 0, "faults were injected");
    // The SDK retries a 500 itself: a send fails only after all its attempts did.
    assert!(
        runs.iter().any(|(_, failed)| *failed > Some(0)),
        "some run had failures to leave behind: {runs:?}"
    );
    assert_exactly_once_in_order(&b.drain(b.jobs()).await, 40, 8);
}

#[tokio::test]
async fn an_in_process_replay_keeps_its_messages_hidden_while_slow_jobs_run() {
    let b = TestBackend::start().await;
    let stub = ConnectionsStub::start().await.unwrap();
    b.seed(
        b.dlq(),
        "dead",
        &(0..3).map(|i| Seed::job("connA", i)).collect::<Vec<_>>(),
    )
    .await;
    let proxy = FaultProxy::start(b.moto.endpoint()).await.unwrap();
    // Each job claims and completes (two PutItems): about 2.4 s a job, 7 s for the three,
    // against a 2 s visibility timeout.
    proxy.inject(Fault::always(
        FaultKind::Latency(Duration::from_millis(1200)),
        &["PutItem"],
    ));
    let journal = journal_path("slow");
    let args = [
        "--json",
        "dlq",
        "replay",
        "--queue",
        b.dlq(),
        "--in-process",
        "--visibility-timeout",
        "2",
        "--journal",
        &journal,
    ];
    let mut command = wsflow_via(&proxy, &args);
    command
        .envs(b.resources.worker_env(stub.url()))
        .env("AWS_ENDPOINT_URL", proxy.url());
    let replay = command.spawn().unwrap();
    let probe = async {
        eventually(WAIT, "the replay to hold the messages", || async {
            b.depth(b.dlq()).await.1 == 3
        })
        .await
        .unwrap();
        let mut seen = 0;
        loop {
            let out = b
                .sqs
                .receive_message()
                .queue_url(b.dlq())
                .visibility_timeout(0)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            seen += out.messages.map_or(0, |m| m.len());
            if b.depth(b.dlq()).await == (0, 0) {
                return seen;
            }
        }
    };

    let (out, seen) = tokio::join!(replay.wait_with_output(), probe);

    let out = out.unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_summary(&out)["moved"], 3);
    assert_eq!(seen, 0, "another consumer saw messages the replay was working on");
    assert_eq!(stub.posts_to("connA").len(), 3);
}

#[tokio::test]
async fn an_export_that_cannot_reach_every_message_fails_and_says_so() {
    let b = TestBackend::start().await;
    b.seed(
        b.dlq(),
        "dead",
        &(0..25).map(|i| Seed::job("g0", i)).collect::<Vec<_>>(),
    )
    .await;
    let path = std::env::temp_dir().join(format!("wsflow-partial-export-{}.jsonl", std::process::id()));

    let out = b
        .run(&[
            "--json",
            "dlq",
            "export",
            "--queue",
            b.dlq(),
            "--out",
            path.to_str().unwrap(),
        ])
        .await;

    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let summary = json_summary(&out);
    let exported = summary["exported"].as_u64().unwrap() as usize;
    assert!(exported < 25, "{summary}");
    assert_eq!(summary["queued"], 25);
    let lines = std::fs::read_to_string(&path).unwrap().lines().count();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(lines, exported, "the file holds what was exported");
    assert!(stderr(&out).contains("the export is partial"), "{}", stderr(&out));
    assert_eq!(b.depth(b.dlq()).await, (25, 0), "nothing deleted");
}
