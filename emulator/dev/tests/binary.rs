//! `wsflow dev`, the real binary, on the checked-in template: it prints `READY`, and SIGTERM
//! stops it with exit status 0 and no child process left behind.

mod common;

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use wsflow_testkit::{eventually, procfs};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_wsflow_dev_with_status_0_and_no_child_left() -> anyhow::Result<()> {
    let binaries = common::debug_binaries();
    let mut dev = Command::new(binaries.join("wsflow"))
        .arg("dev")
        .arg("--template")
        .arg(common::fixture())
        .args(["--port", "0", "--backend-port", "0", "--bin-dir"])
        .arg(&binaries)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = dev.id().expect("running");
    let mut lines = BufReader::new(dev.stdout.take().expect("piped")).lines();
    let mut banner = Vec::new();
    let ready = async {
        while let Some(line) = lines.next_line().await? {
            if line == "READY" {
                return Ok(());
            }
            banner.push(line);
        }
        anyhow::bail!("wsflow dev ended before READY")
    };
    tokio::time::timeout(WAIT, ready).await??;
    let banner = banner.join("\n");
    // The walk-through's commands run as printed: the project's pinned wscat and this wsflow.
    let wscat = banner
        .lines()
        .find(|line| line.contains(" -c 'ws://127.0.0.1:"))
        .and_then(|line| line.split_whitespace().next())
        .unwrap_or_else(|| panic!("no wscat line in {banner}"));
    assert!(
        wscat.ends_with("cdk/node_modules/.bin/wscat") && std::path::Path::new(wscat).is_file(),
        "{banner}"
    );
    let wsflow = banner
        .lines()
        .find(|line| line.contains(" dlq stats "))
        .and_then(|line| line.split_whitespace().next())
        .unwrap_or_else(|| panic!("no dlq line in {banner}"));
    assert_eq!(std::path::Path::new(wsflow), binaries.join("wsflow"), "{banner}");
    let started = procfs::children(pid);
    assert!(started.len() >= 3, "moto and a process per function: {started:?}");

    let kill = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await?;
    assert!(kill.success());
    let status = tokio::time::timeout(WAIT, dev.wait()).await??;
    assert_eq!(status.code(), Some(0));
    eventually(WAIT, "wsflow dev's child processes to end", || async {
        !started.iter().any(|&child| procfs::alive(child))
    })
    .await?;
    Ok(())
}
