//! `wsflow dlq`: dead-letter inspection and replay.

use std::process::ExitCode;

use clap::Args;

use crate::context::Context;

#[derive(Args)]
#[command(about = "Inspect, export, replay and purge dead-lettered jobs")]
pub struct DlqArgs {}

pub async fn run(_context: &Context, _args: DlqArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
