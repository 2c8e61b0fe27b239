//! `wsflow dev`: a stack's template, run on this machine (see the `wsflow-dev` crate).

use std::process::ExitCode;

use clap::Args;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;
use wsflow_dev::LocalOptions;

#[derive(Args)]
#[command(
    about = "Run a WebSocket stack locally from its template: moto backend, functions, event sources, WebSocket gateway"
)]
#[command(
    after_help = "Reads the template (wsflow's own from `make synth`, or any CloudFormation JSON/YAML or SAM
template), starts a moto server from the project's .venv (or uses --aws-endpoint), creates the
queues, tables and state machines there, runs every Lambda function (wsflow's binaries from
--bin-dir; Python, Node.js and custom runtimes from their code folders), polls the SQS event
sources, and serves the WebSocket API with its CloudFront viewer-request function. Prints
`READY` when it all runs. Ctrl-C or SIGTERM stops it cleanly (a second signal aborts, still
killing every child process).

Examples:
  make dev                                        # build, synth, then run this
  wsflow dev                                      # build/template.json, ws://127.0.0.1:8080
  wsflow dev --port 9000 --backend-port 5000
  wsflow dev --aws-endpoint http://127.0.0.1:4566 # a backend that is already running
  wsflow dev --visibility-timeout 5               # failed jobs reach the DLQ in seconds
  wsflow dev --template sam-app/template.yaml --parameter-overrides Stage=dev
  RUST_LOG=debug wsflow dev --bin-dir target/debug

Then follow the banner's \"Try it\" lines: they work as printed."
)]
pub struct DevArgs {
    #[command(flatten)]
    options: LocalOptions,
}

/// `endpoint_url` and `region` are wsflow's global options: the first names a running backend
/// like `--aws-endpoint`, the second is the stack's region.
pub async fn run(
    args: DevArgs,
    endpoint_url: Option<String>,
    region: Option<String>,
) -> anyhow::Result<ExitCode> {
    let mut options = args.options;
    if options.aws_endpoint.is_none() {
        options.aws_endpoint = endpoint_url;
    }
    options.region = region;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let signals = count_signals()?;
    let mut first = signals.clone();
    let mut second = signals;
    let shutdown = async move {
        let _ = first.wait_for(|n| *n >= 1).await;
    };
    // Returning drops local mode, whose child processes are killed on drop: an impatient
    // second signal skips the graceful stop, not the cleanup.
    tokio::select! {
        outcome = wsflow_dev::run(options, shutdown) => outcome?,
        _ = second.wait_for(|n| *n >= 2) => eprintln!("aborted: child processes killed"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The number of SIGINT and SIGTERM received so far.
fn count_signals() -> anyhow::Result<watch::Receiver<u32>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let (count, counted) = watch::channel(0);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            count.send_modify(|n| *n += 1);
        }
    });
    Ok(counted)
}
