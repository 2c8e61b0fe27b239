//! Local mode on the checked-in template, started and stopped in-process: every child process
//! (the moto server, the functions) is gone afterwards, also when the start fails half-way.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use wsflow_dev::{LocalMode, LocalOptions};
use wsflow_testkit::{eventually, procfs};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_or_failing_to_start_leaves_no_child_process() -> anyhow::Result<()> {
    let before = procfs::children(std::process::id());
    let options = LocalOptions {
        template: common::fixture(),
        port: 0,
        backend_port: 0,
        bin_dir: Some(common::debug_binaries()),
        ..LocalOptions::default()
    };

    let running = LocalMode::start(options.clone()).await?;
    let started: BTreeSet<u32> = procfs::children(std::process::id())
        .difference(&before)
        .copied()
        .collect();
    let moto = running.moto_pid().expect("local mode started moto");
    assert!(started.contains(&moto), "{started:?}");
    assert!(started.len() >= 3, "moto and a process per function: {started:?}");
    let gateway = running.gateway_addr().expect("the template has a WebSocket API");
    tokio::net::TcpStream::connect(gateway).await?;
    assert!(
        running.banner().contains(&format!("ws://{gateway}")),
        "{}",
        running.banner()
    );
    running.stop().await;
    eventually(WAIT, "the child processes to end", || async {
        !started.iter().any(|&pid| procfs::alive(pid))
    })
    .await?;

    // A start that fails half-way — moto and the functions run when the CloudFront function
    // turns out not to compile — stops what it started.
    let broken = broken_edge_function_template()?;
    let failing = LocalOptions {
        template: broken.clone(),
        ..options.clone()
    };
    let error = LocalMode::start(failing)
        .await
        .err()
        .expect("the edge function does not compile");
    assert!(
        format!("{error:#}").contains("compiling the CloudFront function"),
        "{error:#}"
    );
    eventually(WAIT, "the child processes of the failed start to end", || async {
        procfs::children(std::process::id()) == before
    })
    .await?;
    std::fs::remove_file(broken)?;

    // A taken gateway port is refused before anything starts.
    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let clashing = LocalOptions {
        port: taken.local_addr()?.port(),
        ..options
    };
    let error = LocalMode::start(clashing)
        .await
        .err()
        .expect("the gateway's port is taken");
    assert!(format!("{error:#}").contains("is taken"), "{error:#}");
    assert_eq!(procfs::children(std::process::id()), before);
    Ok(())
}

/// The checked-in template with a CloudFront function that is not JavaScript, in a temporary file.
fn broken_edge_function_template() -> anyhow::Result<std::path::PathBuf> {
    let mut template: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(common::fixture())?)?;
    let resources = template["Resources"].as_object_mut().expect("Resources");
    let edge = resources
        .values_mut()
        .find(|r| r["Type"] == "AWS::CloudFront::Function")
        .expect("the template has a CloudFront function");
    edge["Properties"]["FunctionCode"] = "function handler(event) {".into();
    let path = std::env::temp_dir().join(format!("wsflow-broken-edge-{}.json", std::process::id()));
    std::fs::write(&path, template.to_string())?;
    Ok(path)
}
