//! `AWS::Lambda::EventSourceMapping` from a queue of the template, the one kind local mode
//! polls.

use serde_json::Value;

use super::handling::mark_unsupported;
use super::present::Present;
use super::props::{get_u32, props, Props};
use crate::error::{Result, StackError};
use crate::intrinsics::Resolver;
use crate::model::{EventSourceMapping, Stack};
use crate::template::Resource;

pub(super) fn read(resolver: &Resolver<'_>, present: &Present<'_>, stack: &mut Stack) -> Result<()> {
    for resource in present.of("AWS::Lambda::EventSourceMapping") {
        match event_source(resolver, resource, stack)? {
            Ok(mapping) => stack.event_sources.push(mapping),
            Err(reason) => mark_unsupported(&mut stack.resources, &resource.logical_id, &reason),
        }
    }
    Ok(())
}

/// `Err(reason)` for sources local mode does not emulate.
fn event_source(
    resolver: &Resolver<'_>,
    resource: &Resource,
    stack: &Stack,
) -> Result<std::result::Result<EventSourceMapping, String>> {
    let p = props(resolver, resource);
    let function = function(&p, stack)?;
    let Some(source) = p.string("EventSourceArn")? else {
        return Ok(Err(
            "only SQS event sources are emulated (this mapping has no EventSourceArn)".into(),
        ));
    };
    let Some(queue) = stack.queues.iter().find(|q| q.arn == source) else {
        return Ok(Err(format!(
            "only SQS event sources from queues of this template are emulated, not `{source}`"
        )));
    };
    let report_batch_item_failures = response_types(&p)?.iter().any(|t| t == "ReportBatchItemFailures");
    let max_concurrency = match p.value("ScalingConfig")? {
        Some(Value::Object(config)) => get_u32(&config, "MaximumConcurrency", &p.path("ScalingConfig"))?,
        _ => None,
    };
    Ok(Ok(EventSourceMapping {
        logical_id: resource.logical_id.clone(),
        function,
        queue: queue.logical_id.clone(),
        batch_size: p.u32_or("BatchSize", 10)?,
        batching_window_s: p.u32_or("MaximumBatchingWindowInSeconds", 0)?,
        report_batch_item_failures,
        max_concurrency,
        enabled: p.flag("Enabled")?.unwrap_or(true),
    }))
}

/// The logical id of the function `FunctionName` names: by name, ARN (qualified or not) or
/// logical id, since Lambda accepts any of them.
fn function(p: &Props<'_, '_>, stack: &Stack) -> Result<String> {
    let function_ref = p.required_string("FunctionName")?;
    stack
        .functions
        .iter()
        .find(|f| {
            f.name == function_ref
                || f.arn == function_ref
                || function_ref.starts_with(&format!("{}:", f.arn))
                || f.logical_id == function_ref
        })
        .map(|f| f.logical_id.clone())
        .ok_or_else(|| {
            StackError::invalid(
                p.path("FunctionName"),
                format!("`{function_ref}` is not a function of this template"),
            )
        })
}

fn response_types(p: &Props<'_, '_>) -> Result<Vec<String>> {
    Ok(match p.value("FunctionResponseTypes")? {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    })
}
