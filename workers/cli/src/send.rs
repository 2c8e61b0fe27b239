//! `wsflow send`: enqueue one job, validated exactly as the worker will validate it.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use serde_json::{json, Value};
use wsflow_core::{Job, Source, Task};

use crate::context::Context;
use crate::queues;

#[derive(Args)]
#[command(about = "Enqueue a job for a connection")]
#[command(after_help = "Examples:
  wsflow send --queue wsflow-jobs.fifo --connection-id L0SM9cOFvHcCIhw= --task store --data '{\"k\":\"v\"}'
  wsflow send --queue $QUEUE_URL --connection-id abc= --task subscribe --data '{\"topic\":\"news\"}'")]
pub struct SendArgs {
    /// Queue URL or name.
    #[arg(long)]
    queue: String,
    /// Connection that receives the job's result (also the FIFO message group).
    #[arg(long)]
    connection_id: String,
    /// notify, store, subscribe, unsubscribe, broadcast or workflow-result.
    #[arg(long, value_parser = parse_task)]
    task: Task,
    /// The job's data, as JSON.
    #[arg(long, value_parser = parse_json)]
    data: Value,
    /// Request id (also the deduplication id); defaults to a fresh one.
    #[arg(long)]
    request_id: Option<String>,
}

fn parse_task(name: &str) -> Result<Task, String> {
    Task::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Task::ALL.iter().map(|t| t.as_str()).collect();
        format!("unknown task `{name}`; expected one of {}", names.join(", "))
    })
}

fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("not JSON ({e}); quote strings: '\"hi\"'"))
}

pub async fn run(context: &Context, args: SendArgs) -> anyhow::Result<ExitCode> {
    let request_id = args.request_id.unwrap_or_else(fresh_request_id);
    let job = Job::new(
        &args.connection_id,
        &request_id,
        args.task,
        args.data,
        Source::Cli,
    );
    let body = job.to_body();
    Job::parse(&body).context("the job would be rejected by the worker")?;
    let sqs = context.sqs();
    let queue_url = queues::resolve(&sqs, &args.queue).await?;
    let mut send = sqs.send_message().queue_url(&queue_url).message_body(body);
    if queue_url.ends_with(".fifo") {
        send = send
            .message_group_id(&job.connection_id)
            .message_deduplication_id(&request_id);
    }
    let out = send.send().await.context("sending the job")?;
    let message_id = out.message_id.unwrap_or_default();
    context.print(
        &json!({ "messageId": message_id, "requestId": request_id }),
        || format!("queued {} job {request_id} as message {message_id}", job.task),
    );
    Ok(ExitCode::SUCCESS)
}

fn fresh_request_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("cli-{nanos:x}-{:x}", std::process::id())
}
