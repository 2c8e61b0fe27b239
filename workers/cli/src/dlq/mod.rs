//! `wsflow dlq`: dead-letter inspection and replay.
//!
//! Every subcommand reads the queue without consuming it through [`hold::Hold`]: received
//! messages stay invisible while the command works and are released (visibility 0) at the end.
//! Only `replay` (after a confirmed send or a successful in-process run) and `purge` delete.

mod export;
mod filter;
mod hold;
mod letter;
mod peek;
mod progress;
mod purge;
mod replay;
mod scan;
mod source;
mod stats;

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::context::Context;

#[derive(Args)]
#[command(about = "Inspect, export, replay and purge dead-lettered jobs")]
#[command(after_help = "Examples:
  wsflow dlq stats --queue wsflow-jobs-dlq.fifo
  wsflow dlq peek --queue wsflow-jobs-dlq.fifo --max 5
  wsflow dlq replay --queue wsflow-jobs-dlq.fifo --filter task=store --dry-run")]
pub struct DlqArgs {
    #[command(subcommand)]
    command: DlqCommand,
}

#[derive(Subcommand)]
enum DlqCommand {
    Stats(stats::StatsArgs),
    Peek(peek::PeekArgs),
    Export(export::ExportArgs),
    Replay(replay::ReplayArgs),
    Purge(purge::PurgeArgs),
}

pub async fn run(context: &Context, args: DlqArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        DlqCommand::Stats(args) => stats::run(context, args).await,
        DlqCommand::Peek(args) => peek::run(context, args).await,
        DlqCommand::Export(args) => export::run(context, args).await,
        DlqCommand::Replay(args) => replay::run(context, args).await,
        DlqCommand::Purge(args) => purge::run(context, args).await,
    }
}
