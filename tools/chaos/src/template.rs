//! The stack the chaos runs on: the synthesized template with its clocks scaled down, so that
//! killed invocations come back and stuck jobs reach the DLQ in seconds rather than minutes,
//! while keeping the ratios the guarantees rest on.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::{json, Value};

/// The worker's timeout here (30 s in the stack).
const WORKER_TIMEOUT_S: u64 = 10;
/// The jobs queue's visibility timeout: above the worker's timeout, as it must be (SQS
/// Developer Guide, "Configuring a queue to use with Lambda": at least the function timeout,
/// six times it against retried throttled invocations; 180 s for 30 s in the stack), so no
/// invocation outlives its messages' invisibility and two never work on one group.
const VISIBILITY_S: u64 = 2 * WORKER_TIMEOUT_S;
/// Receives before SQS' redrive moves a job to the DLQ (5 in the stack).
const MAX_RECEIVE_COUNT: u64 = 3;
/// Concurrent posts of one broadcast (`BROADCAST_FANOUT`, the worker's default): the most
/// posts a crash mid-broadcast may repeat.
pub const FANOUT: usize = 16;

/// Writes the chaos template under `target/chaos/` and returns its path. Throttles are dropped
/// too: the run measures delivery, not the stage's rate limits.
pub fn write() -> anyhow::Result<PathBuf> {
    let root = wsflow_e2e::repo_root();
    let source = root.join("build/template.json");
    let text = std::fs::read_to_string(&source)
        .with_context(|| format!("{}: run `make synth`", source.display()))?;
    let mut template: Value = serde_json::from_str(&text)?;
    let resources = template["Resources"].as_object_mut().context("no Resources")?;
    for resource in resources.values_mut() {
        let kind = resource["Type"].as_str().unwrap_or_default().to_owned();
        let properties = &mut resource["Properties"];
        match kind.as_str() {
            "AWS::ApiGatewayV2::Stage" => {
                let stage = properties.as_object_mut().context("a stage without properties")?;
                stage.remove("DefaultRouteSettings");
                stage.remove("RouteSettings");
            }
            "AWS::Lambda::Function"
                if !properties["Environment"]["Variables"]["IDEMPOTENCY_TABLE"].is_null() =>
            {
                properties["Timeout"] = json!(WORKER_TIMEOUT_S);
                let variables = &mut properties["Environment"]["Variables"];
                variables["IDEMPOTENCY_LOCK_SECONDS"] = json!(WORKER_TIMEOUT_S.to_string());
                variables["BROADCAST_FANOUT"] = json!(FANOUT.to_string());
            }
            "AWS::SQS::Queue" if properties.get("RedrivePolicy").is_some() => {
                properties["VisibilityTimeout"] = json!(VISIBILITY_S);
                properties["RedrivePolicy"]["maxReceiveCount"] = json!(MAX_RECEIVE_COUNT);
            }
            _ => {}
        }
    }
    let path = root.join("target/chaos/template.json");
    std::fs::create_dir_all(path.parent().context("a parent directory")?)?;
    std::fs::write(&path, serde_json::to_string(&template)?)?;
    Ok(path)
}
