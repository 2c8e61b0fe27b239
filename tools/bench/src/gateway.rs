//! The local gateway under load, measured with the reference load generator `wsload` (and its
//! raw echo server `wsecho` as the upper bound, in the same run), plus the end-to-end latency of
//! `enqueue` -> queue -> worker -> result measured by this benchmark's own client.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;
use wsflow_e2e::Dev;

use wsflow_bench::histogram;
use wsflow_bench::report::{Kind, Plot, Report};

use crate::measure::percentile;
use crate::peer;
use crate::processes::Guard;

const SECTION: &str = "gateway (wsload)";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
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

/// The closed loop every target gets: `conns` connections for 10 s after a 2 s warm-up, with
/// the same headers (a server that does not check them ignores them).
async fn closed_loop(
    wsload_bin: &Path,
    url: &str,
    conns: usize,
    headers: &[String],
) -> anyhow::Result<Value> {
    let conns = conns.to_string();
    let mut args = vec!["-c", &conns, "-d", "12", "--warmup", "2"];
    for header in headers {
        args.extend(["-H", header]);
    }
    wsload(wsload_bin, url, &args).await
}

/// Records a closed loop's throughput, p50, p99 and unanswered messages; returns msg/s.
fn record(report: &mut Report, label: &str, conns: usize, run: &Value) -> f64 {
    let rate = run["throughput_msg_s"].as_f64().unwrap_or(0.0);
    let figure = |name: &str| format!("{label}, {conns} conns: {name}");
    report.add(SECTION, &figure("throughput"), rate, "msg/s", "");
    for quantile in ["p50", "p99"] {
        let latency = run["latency_ms"][quantile].as_f64().unwrap_or(f64::NAN);
        report.add(SECTION, &figure(quantile), latency, "ms", "");
    }
    let lost = run["messages"]["unanswered"].as_f64().unwrap_or(f64::NAN);
    report.add(SECTION, &figure("unanswered"), lost, "msgs", "target 0");
    rate
}

pub async fn run(report: &mut Report) -> anyhow::Result<()> {
    let Some((wsload_bin, wsecho_bin)) = peer::wsload() else {
        let line = peer::missing(
            "wsload",
            "cd ../shared/peers/wsload && CARGO_TARGET_DIR=/tmp/peers-work/target cargo build --release",
        );
        report.add(SECTION, "skipped", f64::NAN, "", &line);
        return Ok(());
    };
    let wsecho = peer::wsecho(&wsecho_bin).await?;
    let echo = Guard::dev(
        Dev::launch(
            &repo().join("tools/bench/templates/mock-echo.template.json"),
            true,
        )
        .await?,
    );
    let mock = closed_loop(&wsload_bin, &echo.ws_url(""), 10, &[]).await?;
    let mock = record(report, "MOCK echo route", 10, &mock);
    let raw = closed_loop(&wsload_bin, &wsecho.url, 10, &[]).await?;
    let raw = record(report, "wsecho (raw tokio)", 10, &raw);
    report.add(
        SECTION,
        "MOCK route / raw wsecho",
        mock / raw,
        "x",
        "target >= 0.5",
    );
    let many = closed_loop(&wsload_bin, &echo.ws_url(""), 1000, &[]).await?;
    record(report, "MOCK echo route", 1000, &many);
    handshakes(report, &wsload_bin, &echo, "MOCK $connect", &[]).await?;
    idle(report, &wsload_bin, &echo).await?;
    drop(echo);

    let open = Guard::dev(Dev::launch(&bench_template(true)?, true).await?);
    let unauthorized = handshakes(report, &wsload_bin, &open, "$connect: DynamoDB PutItem", &[]).await?;
    drop(open);
    let stack = Guard::dev(Dev::launch(&bench_template(false)?, true).await?);
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
    let wsflow = Target {
        label: "wsflow $default -> default-route Lambda".into(),
        url: stack.ws_url(""),
    };
    side_by_side(report, &wsload_bin, wsflow, &wsecho, &authorization).await?;
    enqueue_latency(report, &stack).await
}

/// A WebSocket echo under load: a label for the report and its URL.
struct Target {
    label: String,
    url: String,
}

const THROUGHPUT_PLOT: &str = "throughput-vs-connections";
const SIDE_BY_SIDE_CONNS: [usize; 2] = [10, 100];
const SERVERLESS_OFFLINE: &str = "serverless-offline --useInProcess";

/// wsflow's `$default` route through the real Lambda binary, the serverless-offline echo peer
/// and `wsecho`, one after the other at each size, with identical `wsload` parameters.
async fn side_by_side(
    report: &mut Report,
    wsload_bin: &Path,
    wsflow: Target,
    wsecho: &peer::EchoServer,
    headers: &[String],
) -> anyhow::Result<()> {
    let serverless = match peer::serverless_offline().await {
        Some(server) => Some(server?),
        None => {
            let line = peer::missing(
                SERVERLESS_OFFLINE,
                "../shared/peers/serverless-offline-echo/setup.sh",
            );
            report.add(SECTION, SERVERLESS_OFFLINE, f64::NAN, "", &line);
            None
        }
    };
    let mut targets = vec![wsflow];
    targets.extend(serverless.iter().map(|s| Target {
        label: SERVERLESS_OFFLINE.into(),
        url: s.url.clone(),
    }));
    targets.push(Target {
        label: "wsecho (raw tokio)".into(),
        url: wsecho.url.clone(),
    });
    report.declare(
        Plot::new(
            THROUGHPUT_PLOT,
            Kind::Lines,
            "Echo throughput against connections (closed loop, wsload)",
            "connections",
            "msg/s (log)",
        )
        .with_log_y()
        .with_x_ticks(&SIDE_BY_SIDE_CONNS.map(|c| c as f64)),
    );
    for conns in SIDE_BY_SIDE_CONNS {
        let histogram = format!("latency-{conns}");
        report.declare(Plot::new(
            &histogram,
            Kind::Bars,
            &format!("Round-trip latency at {conns} connections (estimated from wsload's percentiles)"),
            "latency (ms, bucket's upper edge)",
            "% of messages",
        ));
        let mut rates = Vec::new();
        for target in &targets {
            // A discarded run first: JIT-compiled peers (node) get warm, all alike.
            wsload(wsload_bin, &target.url, &["-c", &conns.to_string(), "-d", "3"]).await?;
            let run = closed_loop(wsload_bin, &target.url, conns, headers).await?;
            let rate = record(report, &target.label, conns, &run);
            report.point(THROUGHPUT_PLOT, &target.label, (conns as f64, rate));
            report.add_series(
                &histogram,
                histogram::from_percentiles(&target.label, &latency_cdf(&run)),
            );
            rates.push(rate);
        }
        for (target, rate) in targets.iter().zip(&rates).skip(1) {
            let target_note = if target.label == SERVERLESS_OFFLINE {
                "target >= 10"
            } else {
                ""
            };
            report.add(
                SECTION,
                &format!("{conns} conns: wsflow $default / {}", target.label),
                rates[0] / rate,
                "x",
                target_note,
            );
        }
    }
    Ok(())
}

/// wsload's percentiles as (latency ms, fraction of messages at most that slow).
fn latency_cdf(run: &Value) -> Vec<(f64, f64)> {
    [
        ("min", 0.0),
        ("p50", 0.5),
        ("p90", 0.9),
        ("p99", 0.99),
        ("p999", 0.999),
        ("max", 1.0),
    ]
    .into_iter()
    .filter_map(|(key, fraction)| Some((run["latency_ms"][key].as_f64()?, fraction)))
    .collect()
}

pub async fn wait_listening(port: u16) -> anyhow::Result<()> {
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
    report.declare(Plot::new(
        "enqueue-latency",
        Kind::Bars,
        "enqueue -> queue -> worker -> result latency (100 sequential jobs)",
        "latency (ms, bucket's upper edge)",
        "% of jobs",
    ));
    let samples: Vec<f64> = samples.into_iter().map(ms).collect();
    report.add_series(
        "enqueue-latency",
        histogram::from_samples("wsflow enqueue", &samples),
    );
    Ok(())
}
