//! The local gateway under load, measured with the reference load generator `wsload` (and its
//! raw echo server `wsecho` as the upper bound, in the same run), plus the end-to-end latency of
//! `enqueue` -> queue -> worker -> result measured by this benchmark's own client.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;
use wsflow_e2e::Dev;

use crate::measure::percentile;
use crate::report::Report;
use crate::{histogram, peer};

const SECTION: &str = "gateway (wsload)";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The synthesized template without its stage and route throttles: this measures the gateway,
/// whose throttles (100 msg/s by default) would otherwise be the only thing measured. With
/// `open_connect`, `$connect` has no authorizer either: the same-run baseline of its cost.
fn bench_template(open_connect: bool) -> anyhow::Result<PathBuf> {
    let source = repo().join("build/template.json");
    let text = std::fs::read_to_string(&source)
        .with_context(|| format!("{}: run `make synth`", source.display()))?;
    let mut template: Value = serde_json::from_str(&text)?;
    let resources = template["Resources"].as_object_mut().context("no Resources")?;
    for resource in resources.values_mut() {
        let kind = resource["Type"].clone();
        let properties = resource["Properties"]
            .as_object_mut()
            .context("a resource without Properties")?;
        if kind == "AWS::ApiGatewayV2::Stage" {
            properties.remove("DefaultRouteSettings");
            properties.remove("RouteSettings");
        }
        if open_connect && kind == "AWS::ApiGatewayV2::Route" && properties["RouteKey"] == "$connect" {
            properties.insert("AuthorizationType".into(), "NONE".into());
            properties.remove("AuthorizerId");
        }
    }
    let name = if open_connect {
        "template-open.json"
    } else {
        "template-unthrottled.json"
    };
    let path = repo().join("target/bench-report").join(name);
    std::fs::create_dir_all(path.parent().context("a parent directory")?)?;
    std::fs::write(&path, serde_json::to_string(&template)?)?;
    Ok(path)
}

/// `-H 'Authorization: Bearer …'` for wsload.
async fn bearer_header(dev: &Dev) -> anyhow::Result<String> {
    Ok(format!("Authorization: Bearer {}", dev.token().await?))
}

async fn wsload(binary: &Path, url: &str, args: &[&str]) -> anyhow::Result<Value> {
    let output = Command::new(binary)
        .arg(url)
        .args(args)
        .arg("--json")
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .with_context(|| format!("wsload said: {stdout}"))
}

/// Closed loop for 10 s after a 2 s warm-up; reports msg/s, p50, p99 and lost messages.
async fn closed_loop(
    report: &mut Report,
    wsload_bin: &Path,
    url: &str,
    label: &str,
    conns: usize,
    headers: &[String],
) -> anyhow::Result<f64> {
    let conns = conns.to_string();
    let mut args = vec!["-c", &conns, "-d", "10", "--warmup", "2"];
    for header in headers {
        args.extend(["-H", header]);
    }
    let run = wsload(wsload_bin, url, &args).await?;
    let rate = run["throughput_msg_s"].as_f64().unwrap_or(0.0);
    report.add(
        SECTION,
        &format!("{label}, {conns} conns: throughput"),
        rate,
        "msg/s",
        "",
    );
    report.add(
        SECTION,
        &format!("{label}, {conns} conns: p50"),
        run["latency_ms"]["p50"].as_f64().unwrap_or(f64::NAN),
        "ms",
        "",
    );
    report.add(
        SECTION,
        &format!("{label}, {conns} conns: p99"),
        run["latency_ms"]["p99"].as_f64().unwrap_or(f64::NAN),
        "ms",
        "",
    );
    let lost = run["messages"]["unanswered"].as_f64().unwrap_or(f64::NAN);
    report.add(
        SECTION,
        &format!("{label}, {conns} conns: unanswered"),
        lost,
        "msgs",
        "target 0",
    );
    Ok(rate)
}

pub async fn run(report: &mut Report) -> anyhow::Result<()> {
    let Some((wsload_bin, wsecho_bin)) = peer::wsload() else {
        report.add(
            SECTION,
            "skipped",
            f64::NAN,
            "",
            "wsload not built: see ../shared/peers/README.md",
        );
        return Ok(());
    };
    let echo = Dev::launch(
        &repo().join("tools/bench/templates/mock-echo.template.json"),
        true,
    )
    .await?;
    let mock = closed_loop(report, &wsload_bin, &echo.ws_url(""), "MOCK echo route", 10, &[]).await?;
    let raw_port = free_port()?;
    let _raw = Command::new(&wsecho_bin)
        .args(["--port", &raw_port.to_string()])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    wait_listening(raw_port).await?;
    let raw = closed_loop(
        report,
        &wsload_bin,
        &format!("ws://127.0.0.1:{raw_port}"),
        "wsecho (raw tokio)",
        10,
        &[],
    )
    .await?;
    report.add(
        SECTION,
        "MOCK route / raw wsecho",
        mock / raw,
        "x",
        "target >= 0.5",
    );
    closed_loop(
        report,
        &wsload_bin,
        &echo.ws_url(""),
        "MOCK echo route",
        1000,
        &[],
    )
    .await?;
    handshakes(report, &wsload_bin, &echo, "MOCK $connect", &[]).await?;
    idle(report, &wsload_bin, &echo).await?;
    drop(echo);

    let open = Dev::launch(&bench_template(true)?, true).await?;
    let unauthorized = handshakes(report, &wsload_bin, &open, "$connect: DynamoDB PutItem", &[]).await?;
    drop(open);
    let stack = Dev::launch(&bench_template(false)?, true).await?;
    let authorization = [bearer_header(&stack).await?];
    let authorized = handshakes(
        report,
        &wsload_bin,
        &stack,
        "$connect: JWT authorizer + DynamoDB PutItem",
        &authorization,
    )
    .await?;
    report.add(
        SECTION,
        "handshakes with / without the authorizer",
        authorized / unauthorized,
        "x",
        "the authorizer's cost; both bound by moto's PutItem",
    );
    for conns in [10, 100] {
        let rate = closed_loop(
            report,
            &wsload_bin,
            &stack.ws_url(""),
            "$default -> default-route Lambda",
            conns,
            &authorization,
        )
        .await?;
        if conns == 10 {
            report.add(
                SECTION,
                "$default Lambda echo / serverless-offline in-process",
                rate / 1100.0,
                "x",
                "baseline 1,100 msg/s from ../shared/peers README; target >= 10",
            );
        }
    }
    enqueue_latency(report, &stack).await
}

async fn wait_listening(port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        anyhow::ensure!(Instant::now() < deadline, "nothing listens on port {port}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// 1,000 handshakes, 64 at a time: handshakes per second and their latency.
async fn handshakes(
    report: &mut Report,
    wsload_bin: &Path,
    dev: &Dev,
    label: &str,
    headers: &[String],
) -> anyhow::Result<f64> {
    let mut args = vec!["--idle", "1000", "--hold", "1"];
    for header in headers {
        args.extend(["-H", header]);
    }
    let run = wsload(wsload_bin, &dev.ws_url(""), &args).await?;
    let opened = run["opened"].as_f64().unwrap_or(f64::NAN);
    let rate = opened / run["connect_phase_s"].as_f64().unwrap_or(f64::NAN);
    report.add(
        SECTION,
        &format!("{label}: handshakes"),
        rate,
        "conn/s",
        "1,000, 64 in flight",
    );
    for quantile in ["p50", "p99"] {
        report.add(
            SECTION,
            &format!("{label}: handshake {quantile}"),
            run["connect_ms"][quantile].as_f64().unwrap_or(f64::NAN),
            "ms",
            "",
        );
    }
    report.add(
        SECTION,
        &format!("{label}: refused"),
        run["failed"].as_f64().unwrap_or(f64::NAN),
        "conns",
        "target 0",
    );
    Ok(rate)
}

async fn idle(report: &mut Report, wsload_bin: &Path, dev: &Dev) -> anyhow::Result<()> {
    let pid = dev.pid().to_string();
    let run = wsload(
        wsload_bin,
        &dev.ws_url(""),
        &["--idle", "10000", "--hold", "5", "--server-pid", &pid],
    )
    .await?;
    let per_conn = run["server"]["rss_bytes_per_conn"].as_f64().unwrap_or(f64::NAN);
    report.add(
        SECTION,
        "idle connections held",
        run["still_open_at_end"].as_f64().unwrap_or(f64::NAN),
        "conns",
        "of 10,000",
    );
    report.add(
        SECTION,
        "RSS per idle connection",
        per_conn / 1024.0,
        "KiB",
        "target <= 16",
    );
    report.add(
        SECTION,
        "idle connections within 1 GiB",
        (1u64 << 30) as f64 / per_conn,
        "conns",
        "extrapolated",
    );
    Ok(())
}

/// Sequential `enqueue` notify jobs: time from the send to the worker's result frame.
async fn enqueue_latency(report: &mut Report, dev: &Dev) -> anyhow::Result<()> {
    let mut socket = dev.connect("").await?;
    let mut samples = Vec::new();
    for i in 0..100 {
        let started = Instant::now();
        let message = format!(r#"{{"action":"enqueue","task":"notify","data":{{"n":{i}}}}}"#);
        socket.send(Message::Text(message.into())).await?;
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
                .await
                .context("no result in 30 s")?
                .context("socket closed")??;
            if frame.to_text().unwrap_or_default().contains(r#""type":"result""#) {
                break;
            }
        }
        samples.push(started.elapsed());
    }
    let mut sorted = samples.clone();
    sorted.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let section = "enqueue -> worker -> result";
    report.add(
        section,
        "p50",
        ms(percentile(&sorted, 50.0)),
        "ms",
        "moto + event-source poll included",
    );
    report.add(section, "p99", ms(percentile(&sorted, 99.0)), "ms", "");
    histogram::write_svg(
        "enqueue-latency.svg",
        "enqueue -> worker -> result latency (ms)",
        &samples,
    )?;
    Ok(())
}
