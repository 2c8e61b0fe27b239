//! `wsflow`: the operator's tool.

mod context;
mod dev;
mod dlq;
mod queues;
mod send;
mod shutdown;
mod token;
mod worker;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use context::Context;

// `wsflow dev` allocates for every message it routes; glibc's allocator took about a fifth of the
// gateway's CPU under load (perf), mimalloc far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "wsflow",
    version,
    about = "Operate wsflow: run the stack locally, send jobs, run the worker, inspect and replay dead letters"
)]
#[command(after_help = "Examples:
  wsflow dev --template build/template.json
  wsflow send --queue wsflow-jobs.fifo --connection-id L0SM9cOFvHcCIhw= --task notify --data '\"hi\"'
  wsflow worker --queue-url http://127.0.0.1:4566/000000000000/wsflow-jobs.fifo
  wsflow --endpoint-url http://127.0.0.1:4566 dlq stats --queue wsflow-jobs-dlq.fifo")]
struct Cli {
    /// AWS endpoint for every service the CLI calls (overrides AWS_ENDPOINT_URL).
    #[arg(long, global = true, value_name = "URL")]
    endpoint_url: Option<String>,
    /// AWS region (overrides AWS_REGION and the profile).
    #[arg(long, global = true)]
    region: Option<String>,
    /// Machine-readable JSON output instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Dev(dev::DevArgs),
    Dlq(dlq::DlqArgs),
    Send(send::SendArgs),
    Token(token::TokenArgs),
    Worker(worker::WorkerArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let context = Context::load(cli.endpoint_url.as_deref(), cli.region.as_deref(), cli.json).await;
    let outcome = match cli.command {
        Command::Dev(args) => dev::run(args, cli.endpoint_url, cli.region).await,
        Command::Dlq(args) => dlq::run(&context, args).await,
        Command::Send(args) => send::run(&context, args).await,
        Command::Token(args) => token::run(&context, args).await,
        Command::Worker(args) => worker::run(&context, args).await,
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            context.error(&e);
            ExitCode::from(1)
        }
    }
}
