//! `AWS::SQS::Queue`, with its redrive policy.

use std::collections::BTreeMap;

use serde_json::Value;

use super::present::Present;
use super::props::{get_str, get_u32, json_text, props, Props};
use crate::error::{Result, StackError};
use crate::intrinsics::Resolver;
use crate::model::{Queue, Redrive, Stack};
use crate::template::Resource;

/// SQS queue properties that become plain queue attributes (same names in both).
const QUEUE_ATTRIBUTES: &[&str] = &[
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

pub(super) fn read(resolver: &Resolver<'_>, present: &Present<'_>, stack: &mut Stack) -> Result<()> {
    let mut queues = Vec::new();
    for resource in present.of("AWS::SQS::Queue") {
        queues.push(queue(resolver, resource)?);
    }
    stack.queues = dependency_order(queues)?;
    Ok(())
}

fn queue(resolver: &Resolver<'_>, resource: &Resource) -> Result<Queue> {
    let p = props(resolver, resource);
    let id = &resource.logical_id;
    let path = p.path("QueueName");
    let name = resolver.physical_name(id, &path)?;
    let url = resolver.attribute(id, Some("QueueUrl"), &path)?;
    let arn = resolver.attribute(id, Some("Arn"), &path)?;
    let attributes = attributes(&p)?;
    let redrive = match p.value("RedrivePolicy")? {
        None => None,
        Some(policy) => Some(redrive(resolver, policy, &p.path("RedrivePolicy"))?),
    };
    Ok(Queue {
        logical_id: id.clone(),
        fifo: p.flag("FifoQueue")?.unwrap_or(false),
        content_based_dedup: p.flag("ContentBasedDeduplication")?.unwrap_or(false),
        visibility_timeout_s: p.u32_or("VisibilityTimeout", 30)?,
        name,
        url,
        arn,
        attributes,
        redrive,
    })
}

fn attributes(p: &Props<'_, '_>) -> Result<BTreeMap<String, String>> {
    let mut attributes = BTreeMap::new();
    for attribute in QUEUE_ATTRIBUTES {
        if let Some(value) = p.string(attribute)? {
            attributes.insert((*attribute).to_owned(), value);
        }
    }
    Ok(attributes)
}

/// `RedrivePolicy`, an object or its JSON text. The model names the dead-letter queue by
/// logical id, so provisioning can create it first.
fn redrive(resolver: &Resolver<'_>, value: Value, path: &str) -> Result<Redrive> {
    let policy = match value {
        Value::String(text) => json_text(&text, path)?,
        other => other,
    };
    let policy = policy
        .as_object()
        .ok_or_else(|| StackError::invalid(path, "must be an object"))?;
    let target = get_str(policy, "deadLetterTargetArn", path)?
        .ok_or_else(|| StackError::invalid(path, "has no deadLetterTargetArn"))?;
    Ok(Redrive {
        dead_letter_queue: queue_with_arn(resolver, &target, path)?,
        max_receive_count: get_u32(policy, "maxReceiveCount", path)?.unwrap_or(10),
    })
}

fn queue_with_arn(resolver: &Resolver<'_>, arn: &str, path: &str) -> Result<String> {
    resolver
        .template()
        .resources_of("AWS::SQS::Queue")
        .find(|q| {
            resolver
                .attribute(&q.logical_id, Some("Arn"), path)
                .ok()
                .as_deref()
                == Some(arn)
        })
        .map(|q| q.logical_id.clone())
        .ok_or_else(|| {
            StackError::invalid(
                format!("{path}.deadLetterTargetArn"),
                format!("`{arn}` is not a queue of this template"),
            )
        })
}

/// Dead-letter queues before the queues that name them.
fn dependency_order(mut queues: Vec<Queue>) -> Result<Vec<Queue>> {
    let mut ordered: Vec<Queue> = Vec::with_capacity(queues.len());
    while !queues.is_empty() {
        let ready = queues.iter().position(|q| {
            q.redrive.as_ref().is_none_or(|r| {
                r.dead_letter_queue == q.logical_id
                    || ordered.iter().any(|o| o.logical_id == r.dead_letter_queue)
            })
        });
        match ready {
            Some(index) => ordered.push(queues.remove(index)),
            None => {
                return Err(StackError::Circular {
                    path: "Resources.*.Properties.RedrivePolicy".into(),
                    chain: queues.iter().map(|q| q.logical_id.clone()).collect(),
                })
            }
        }
    }
    Ok(ordered)
}
