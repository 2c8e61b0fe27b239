//! `wsflow dlq …` end to end: the real binary against a moto server.

mod common;

use std::collections::BTreeSet;

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use common::*;
use serde_json::Value;
use wsflow_core::ports::attr;
use wsflow_core::Task;
use wsflow_testkit::ConnectionsStub;

/// The groups of `messages`, for comparing which ones moved.
fn groups(messages: &[aws_sdk_sqs::types::Message]) -> BTreeSet<String> {
    messages.iter().map(|m| place(m).0).collect()
}

fn one_per_group(count: usize) -> Vec<Seed> {
    (0..count).map(|g| Seed::job(&format!("g{g}"), 0)).collect()
}

#[tokio::test]
async fn replay_moves_a_thousand_messages_once_each_in_group_order_and_empties_the_dlq() {
    let b = TestBackend::start().await;
    let seeds: Vec<Seed> = interleaved(20, 50)
        .into_iter()
        .map(|s| {
            s.with(attr::FIRST_FAILURE_AT, "1732240000000")
                .with(attr::ERROR_REASON, "unknown_task")
        })
        .collect();
    b.dead_letter_by_redrive(&seeds).await;
    b.await_depth(b.dlq(), 1000).await;

    // By name, and without --to: the target is the queue whose redrive policy names the DLQ.
    // A consumer keeps up with the target meanwhile, reading it back in FIFO order.
    let replay = b.spawn(&["--json", "dlq", "replay", "--queue", "t-jobs-dlq.fifo"]);
    let (received, out) = b.drain_while(b.jobs(), replay).await;

    assert!(out.status.success(), "{}", stderr(&out));
    let summary = json_summary(&out);
    assert_eq!(summary["moved"], 1000);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["target"], b.jobs());
    assert_eq!(b.depth(b.dlq()).await, (0, 0), "the DLQ ends empty");
    assert_exactly_once_in_order(&received, 20, 50);
    for message in &received {
        assert_eq!(attribute(message, attr::FIRST_FAILURE_AT), Some("1732240000000"));
        assert_eq!(attribute(message, attr::ERROR_REASON), None);
        let dedup = &message.attributes().unwrap()[&MessageSystemAttributeName::MessageDeduplicationId];
        assert!(dedup.starts_with("replay-"), "{dedup}");
    }
}

enum Stop {
    Interrupt,
    Kill,
}

/// Stops a slow replay once some messages moved, runs it again, and checks the target got
/// every message exactly once, in order.
async fn stop_mid_replay_then_rerun(stop: Stop) {
    let b = TestBackend::start().await;
    b.seed(b.dlq(), "dead", &interleaved(5, 20)).await;
    let slow = [
        "--json",
        "dlq",
        "replay",
        "--queue",
        b.dlq(),
        "--rate",
        "25/s",
        "--visibility-timeout",
        "2",
    ];
    let mut child = b.spawn(&slow);
    b.await_depth(b.jobs(), 10).await;

    match stop {
        Stop::Interrupt => {
            let pid = child.id().unwrap().to_string();
            let kill = tokio::process::Command::new("kill").args(["-INT", &pid]).status();
            assert!(kill.await.unwrap().success());
            let out = child.wait_with_output().await.unwrap();
            assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
            let summary = json_summary(&out);
            assert_eq!(summary["interrupted"], true);
            let moved = summary["moved"].as_u64().unwrap() as usize;
            assert!((10..100).contains(&moved), "stopped mid-run, moved {moved}");
            assert_eq!(b.depth(b.jobs()).await, (moved, 0));
            assert_eq!(
                b.depth(b.dlq()).await,
                (100 - moved, 0),
                "the rest released at once"
            );
        }
        Stop::Kill => {
            child.kill().await.unwrap();
            let (in_target, _) = b.depth(b.jobs()).await;
            assert!(
                (10..100).contains(&in_target),
                "killed mid-run, {in_target} moved"
            );
            b.await_nothing_in_flight(b.dlq()).await;
        }
    }

    let out = b.run(&["--json", "dlq", "replay", "--queue", b.dlq()]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(b.depth(b.dlq()).await, (0, 0));
    assert_exactly_once_in_order(&b.drain(b.jobs()).await, 5, 20);
}

#[tokio::test]
async fn a_replay_stopped_by_sigint_and_run_again_loses_and_doubles_nothing() {
    stop_mid_replay_then_rerun(Stop::Interrupt).await;
}

#[tokio::test]
async fn a_replay_killed_mid_run_and_run_again_loses_and_doubles_nothing() {
    stop_mid_replay_then_rerun(Stop::Kill).await;
}

#[tokio::test]
async fn a_replay_repeated_after_a_crash_between_send_and_delete_delivers_once() {
    let b = TestBackend::start().await;
    let seeds = one_per_group(3);
    let ids = b.seed(b.dlq(), "dead", &seeds).await;
    // What a run killed after its send and before its delete leaves behind: the first message
    // already in the target, under the replay's deduplication id, and still in the DLQ.
    let sent_before_crash = b
        .sqs
        .send_message()
        .queue_url(b.jobs())
        .message_body(&seeds[0].body)
        .message_group_id("g0")
        .message_deduplication_id(format!("replay-{}", ids[0]));
    sent_before_crash.send().await.unwrap();

    let out = b.run(&["--json", "dlq", "replay", "--queue", b.dlq()]).await;

    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_summary(&out)["moved"], 3);
    assert_eq!(b.depth(b.dlq()).await, (0, 0));
    let received = b.drain(b.jobs()).await;
    assert_eq!(received.len(), 3, "deduplicated by SQS, not delivered twice");
    assert_eq!(
        groups(&received),
        BTreeSet::from(["g0".into(), "g1".into(), "g2".into()])
    );
}

#[tokio::test]
async fn dry_run_reports_what_would_move_and_changes_nothing() {
    let b = TestBackend::start().await;
    b.seed(b.dlq(), "dead", &one_per_group(6)).await;

    let out = b
        .run(&["--json", "dlq", "replay", "--queue", b.dlq(), "--dry-run"])
        .await;

    assert!(out.status.success(), "{}", stderr(&out));
    let summary = json_summary(&out);
    assert_eq!(summary["dryRun"], true);
    assert_eq!(summary["moved"], 6);
    assert_eq!(b.depth(b.jobs()).await, (0, 0));
    assert_eq!(b.depth(b.dlq()).await, (6, 0));
}

#[tokio::test]
async fn each_filter_kind_moves_exactly_the_matching_messages() {
    let b = TestBackend::start().await;
    let seeds = [
        Seed::task("g0", 0, Task::Store).with("Tenant", "acme"),
        Seed::task("g1", 0, Task::Store),
        Seed::job("g2", 0).with("Tenant", "acme"),
        Seed::job("g3", 7),
        Seed::job("g4", 0),
        Seed::job("g5", 0).with("Tenant", "umbrella"),
    ];
    b.seed(b.dlq(), "dead", &seeds).await;
    let runs: [(&[&str], &str); 6] = [
        (&["task=store", "attr.Tenant=acme"], "g0"),
        (&["task=store"], "g1"),
        (&["attr.Tenant=acme"], "g2"),
        (&["body./data/seq=7"], "g3"),
        (&["group=g4"], "g4"),
        (&["body./data/group=g5"], "g5"),
    ];

    for (remaining, (filters, expected)) in (1..=seeds.len()).rev().zip(runs) {
        let mut args = vec!["--json", "dlq", "replay", "--queue", b.dlq()];
        for filter in filters {
            args.extend(["--filter", filter]);
        }
        let out = b.run(&args).await;
        assert!(out.status.success(), "{filters:?}: {}", stderr(&out));
        let summary = json_summary(&out);
        assert_eq!(summary["moved"], 1, "{filters:?}");
        assert_eq!(summary["skipped"], remaining - 1, "{filters:?}");
        let moved = b.drain(b.jobs()).await;
        assert_eq!(
            groups(&moved),
            BTreeSet::from([expected.to_owned()]),
            "{filters:?}"
        );
    }
    assert_eq!(b.depth(b.dlq()).await, (0, 0));
}

#[tokio::test]
async fn a_bad_filter_is_refused_by_name_before_anything_runs() {
    let b = TestBackend::start().await;
    b.seed(b.dlq(), "dead", &one_per_group(1)).await;

    let out = b
        .run(&["dlq", "replay", "--queue", b.dlq(), "--filter", "colour=red"])
        .await;

    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("colour=red"), "{}", stderr(&out));
    assert_eq!(b.depth(b.dlq()).await, (1, 0));
}

#[tokio::test]
async fn max_is_exact_even_with_filters_skipping_messages() {
    let b = TestBackend::start().await;
    let seeds: Vec<Seed> = (0..20)
        .map(|g| match g % 2 {
            0 => Seed::task(&format!("g{g}"), 0, Task::Store),
            _ => Seed::job(&format!("g{g}"), 0),
        })
        .collect();
    b.seed(b.dlq(), "dead", &seeds).await;

    let out = b
        .run(&[
            "--json",
            "dlq",
            "replay",
            "--queue",
            b.dlq(),
            "--filter",
            "task=store",
            "--max",
            "7",
        ])
        .await;

    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_summary(&out)["moved"], 7);
    let moved = b.drain(b.jobs()).await;
    assert_eq!(moved.len(), 7);
    assert!(moved
        .iter()
        .all(|m| m.body().unwrap().contains(r#""task":"store""#)));
    assert_eq!(b.depth(b.dlq()).await, (13, 0));
}

#[tokio::test]
async fn a_message_without_a_group_is_not_replayed_to_a_fifo_queue() {
    let b = TestBackend::start().await;
    let standard_dlq = b.create_queue("plain-dlq").await;
    let ungrouped = Seed {
        group: None,
        ..Seed::job("g0", 0)
    };
    b.seed(&standard_dlq, "dead", &[ungrouped.clone(), ungrouped])
        .await;

    let out = b
        .run(&["dlq", "replay", "--queue", &standard_dlq, "--to", b.jobs()])
        .await;

    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("failed 2: the message has no MessageGroupId, which the FIFO target requires"),
        "{}",
        stdout(&out)
    );
    assert_eq!(b.depth(&standard_dlq).await, (2, 0), "nothing deleted");
    assert_eq!(b.depth(b.jobs()).await, (0, 0));
}

#[tokio::test]
async fn an_oversized_message_fails_and_holds_back_its_group_only() {
    let b = TestBackend::start().await;
    let limit = (QueueAttributeName::MaximumMessageSize, (256 * 1024).to_string());
    let target = b
        .sqs
        .set_queue_attributes()
        .queue_url(b.jobs())
        .attributes(limit.0, limit.1);
    target.send().await.unwrap();
    // Under the limit on its own; the FirstFailureAt attribute (33 bytes) tips it over.
    let mut big = Seed::job("big", 0).with(attr::FIRST_FAILURE_AT, "1732240000000");
    big.body = "x".repeat(256 * 1024 - 10);
    b.seed(b.dlq(), "big", &[big]).await;
    b.seed(b.dlq(), "small", &[Seed::job("big", 1), Seed::job("other", 0)])
        .await;

    let out = b.run(&["--json", "dlq", "replay", "--queue", b.dlq()]).await;

    assert_eq!(out.status.code(), Some(1));
    let summary = json_summary(&out);
    assert_eq!(summary["moved"], 1);
    assert_eq!(summary["failed"], 1);
    assert_eq!(
        summary["skipped"], 1,
        "the group's next message must not overtake it"
    );
    let reasons: Vec<&String> = summary["failedBy"].as_object().unwrap().keys().collect();
    assert_eq!(
        reasons,
        ["body and attributes exceed the target's limit of 262144 bytes"]
    );
    assert_eq!(b.depth(b.dlq()).await, (2, 0));
    assert_eq!(
        groups(&b.drain(b.jobs()).await),
        BTreeSet::from(["other".to_owned()])
    );
}

#[tokio::test]
async fn replay_refuses_targets_it_cannot_keep_its_promises_on() {
    let b = TestBackend::start().await;
    b.seed(b.dlq(), "dead", &one_per_group(1)).await;
    let standard = b.create_queue("plain").await;
    let orphan_dlq = b.create_queue("orphan-dlq.fifo").await;

    let to_standard = b
        .run(&["dlq", "replay", "--queue", b.dlq(), "--to", &standard])
        .await;
    let unknown = b.run(&["dlq", "replay", "--queue", "nosuch"]).await;
    let no_source = b.run(&["dlq", "replay", "--queue", &orphan_dlq]).await;

    for (out, text) in [
        (&to_standard, "is a standard queue but the DLQ"),
        (&unknown, "no queue named `nosuch`"),
        (&no_source, "no queue dead-letters into"),
    ] {
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(stderr(out).contains(text), "{}", stderr(out));
    }
    assert_eq!(b.depth(b.dlq()).await, (1, 0));
    assert_eq!(b.depth(&standard).await, (0, 0));
}

#[tokio::test]
async fn in_process_replay_runs_the_worker_and_deletes_only_what_succeeded() {
    let b = TestBackend::start().await;
    let stub = ConnectionsStub::start().await.unwrap();
    stub.mark_failing("connB");
    let seeds = [
        Seed::job("connA", 0),
        Seed::job("connA", 1),
        Seed::job("connB", 0),
    ];
    b.seed(b.dlq(), "dead", &seeds).await;

    let mut command = b.wsflow(&["--json", "dlq", "replay", "--queue", b.dlq(), "--in-process"]);
    command
        .envs(b.resources.worker_env(stub.url()))
        .env("AWS_ENDPOINT_URL", b.moto.endpoint());
    let out = command.output().await.unwrap();

    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let summary = json_summary(&out);
    assert_eq!(summary["moved"], 2);
    assert_eq!(summary["failed"], 1);
    let results = stub.posts_to("connA");
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r["status"] == "ok"), "{results:?}");
    let left = b.drain(b.dlq()).await;
    assert_eq!(
        left.iter().map(place).collect::<Vec<_>>(),
        [("connB".to_owned(), 0)]
    );
    assert_eq!(b.depth(b.jobs()).await, (0, 0), "nothing re-queued");
}

#[tokio::test]
async fn stats_counts_by_task_and_reason_and_names_the_source_queue() {
    let b = TestBackend::start().await;
    let not_json = Seed {
        body: "not json".into(),
        ..Seed::job("g5", 0)
    };
    let seeds = [
        Seed::task("g0", 0, Task::Store)
            .with(attr::ERROR_REASON, "invalid_data")
            .with(attr::TASK, "store"),
        Seed::job("g1", 0)
            .with(attr::ERROR_REASON, "unknown_task")
            .with(attr::TASK, "frobnicate"),
        Seed::job("g2", 0),
        Seed::job("g3", 0),
        Seed::task("g4", 0, Task::Store),
        not_json,
    ];
    b.seed(b.dlq(), "dead", &seeds).await;

    let out = b.run(&["--json", "dlq", "stats", "--queue", b.dlq()]).await;

    assert!(out.status.success(), "{}", stderr(&out));
    let stats = json_summary(&out);
    assert_eq!(stats["visible"], 6);
    assert_eq!(stats["scanned"], 6);
    let expected_tasks = serde_json::json!({ "store": 2, "frobnicate": 1, "notify": 2, "(unknown)": 1 });
    assert_eq!(stats["byTask"], expected_tasks);
    let expected_reasons = serde_json::json!({ "invalid_data": 1, "unknown_task": 1, "redrive": 4 });
    assert_eq!(stats["byReason"], expected_reasons);
    assert_eq!(stats["sources"], serde_json::json!([b.jobs()]));
    assert!(stats["oldestAgeSeconds"].as_u64().is_some());
    assert_eq!(b.depth(b.dlq()).await, (6, 0), "the scan consumed nothing");

    let human = b.run(&["dlq", "stats", "--queue", b.dlq()]).await;
    assert!(stdout(&human).contains("by reason:  invalid_data 1, redrive 4, unknown_task 1"));
}

/// `wsflow dlq stats … | head -1`: the reader goes away before the command writes. The command
/// still succeeds and says nothing about it (it used to panic on the broken pipe).
#[tokio::test]
async fn output_to_a_reader_that_went_away_is_not_an_error() {
    let b = TestBackend::start().await;
    b.seed(b.dlq(), "dead", &[Seed::job("g0", 0)]).await;
    let mut command = b.wsflow(&["dlq", "stats", "--queue", b.dlq()]);
    command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    drop(child.stdout.take());

    let out = child.wait_with_output().await.unwrap();

    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "nothing to report");
}

#[tokio::test]
async fn peek_shows_messages_without_consuming_them() {
    let b = TestBackend::start().await;
    let seeds = [
        Seed::job("g0", 0).with(attr::ERROR_REASON, "invalid_data"),
        Seed::job("g1", 0),
        Seed::job("g2", 0),
    ];
    b.seed(b.dlq(), "dead", &seeds).await;

    let out = b
        .run(&["--json", "dlq", "peek", "--queue", b.dlq(), "--max", "2"])
        .await;

    assert!(out.status.success(), "{}", stderr(&out));
    let peeked = json_summary(&out);
    let rows = peeked["messages"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["groupId"], "g0");
    assert_eq!(rows[0]["task"], "notify");
    assert_eq!(rows[0]["reason"], "invalid_data");
    assert_eq!(rows[0]["receiveCount"], 1);
    assert_eq!(b.depth(b.dlq()).await, (3, 0), "released at once");

    let human = b.run(&["dlq", "peek", "--queue", b.dlq()]).await;
    let text = stdout(&human);
    assert_eq!(text.matches("group=").count(), 3, "{text}");
    assert!(
        text.contains("receives=2  task=notify  reason=invalid_data"),
        "{text}"
    );
    assert_eq!(b.depth(b.dlq()).await, (3, 0));
}

#[tokio::test]
async fn export_writes_one_line_per_message_and_deletes_nothing() {
    let b = TestBackend::start().await;
    let seeds: Vec<Seed> = one_per_group(5)
        .into_iter()
        .map(|s| s.with(attr::FIRST_FAILURE_AT, "1732240000000"))
        .collect();
    b.seed(b.dlq(), "dead", &seeds).await;
    let path = std::env::temp_dir().join(format!("wsflow-dlq-export-{}.jsonl", std::process::id()));

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

    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_summary(&out)["exported"], 5);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5);
    let bodies: BTreeSet<&str> = lines.iter().map(|l| l["body"].as_str().unwrap()).collect();
    let seeded: BTreeSet<&str> = seeds.iter().map(|s| s.body.as_str()).collect();
    assert_eq!(bodies, seeded);
    for line in &lines {
        let first_failure = &line["messageAttributes"][attr::FIRST_FAILURE_AT];
        assert_eq!(first_failure["stringValue"], "1732240000000");
        assert_eq!(first_failure["dataType"], "String");
        assert!(line["attributes"]["MessageGroupId"].is_string());
        assert!(line["messageId"].is_string());
    }
    assert_eq!(b.depth(b.dlq()).await, (5, 0));
}

#[tokio::test]
async fn purge_refuses_without_yes_when_nobody_can_confirm() {
    let b = TestBackend::start().await;
    b.seed(b.dlq(), "dead", &one_per_group(3)).await;

    let refused = b.run(&["dlq", "purge", "--queue", b.dlq()]).await;

    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("without --yes"), "{}", stderr(&refused));
    assert_eq!(b.depth(b.dlq()).await, (3, 0));

    let purged = b.run(&["dlq", "purge", "--queue", b.dlq(), "--yes"]).await;
    assert!(purged.status.success(), "{}", stderr(&purged));
    assert_eq!(b.depth(b.dlq()).await, (0, 0));
}

#[test]
fn every_subcommand_explains_itself_with_examples() {
    for command in ["stats", "peek", "export", "replay", "purge"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wsflow"))
            .args(["dlq", command, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success() && help.contains("Examples:"),
            "{command}: {help}"
        );
    }
}
