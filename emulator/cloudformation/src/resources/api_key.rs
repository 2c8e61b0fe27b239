//! `AWS::ApiGateway::ApiKey`, and `AWS::ApiGateway::UsagePlan` with the keys its
//! `AWS::ApiGateway::UsagePlanKey`s add.

use serde_json::{Map, Value};

use super::present::Present;
use super::props::{get_f64, get_str, get_u32, props, Props};
use crate::error::{Result, StackError};
use crate::intrinsics::Resolver;
use crate::model::{ApiKey, Quota, Stack, UsagePlan};
use crate::template::Resource;

pub(super) fn read_keys(resolver: &Resolver<'_>, present: &Present<'_>, stack: &mut Stack) -> Result<()> {
    for resource in present.of("AWS::ApiGateway::ApiKey") {
        stack.api_keys.push(api_key(resolver, resource)?);
    }
    Ok(())
}

pub(super) fn read_usage_plans(
    resolver: &Resolver<'_>,
    present: &Present<'_>,
    stack: &mut Stack,
) -> Result<()> {
    let plan_keys: Vec<&Resource> = present.of("AWS::ApiGateway::UsagePlanKey").collect();
    for resource in present.of("AWS::ApiGateway::UsagePlan") {
        stack
            .usage_plans
            .push(usage_plan(resolver, resource, &plan_keys)?);
    }
    Ok(())
}

fn api_key(resolver: &Resolver<'_>, resource: &Resource) -> Result<ApiKey> {
    let kp = props(resolver, resource);
    Ok(ApiKey {
        logical_id: resource.logical_id.clone(),
        name: resolver.physical_name(&resource.logical_id, &kp.path("Name"))?,
        enabled: kp.flag("Enabled")?.unwrap_or(false),
        value: kp.string("Value")?,
    })
}

fn usage_plan(resolver: &Resolver<'_>, resource: &Resource, plan_keys: &[&Resource]) -> Result<UsagePlan> {
    let up = props(resolver, resource);
    let api_id = &resolver.env().api_id;
    let stages = stages(&up, api_id)?;
    let throttle = match up.value("Throttle")? {
        Some(Value::Object(map)) => throttle(&map, &up.path("Throttle"))?,
        _ => None,
    };
    let quota = match up.value("Quota")? {
        Some(Value::Object(map)) => quota(&map, &up.path("Quota"))?,
        _ => None,
    };
    let keys = keys(resolver, resource, plan_keys)?;
    Ok(UsagePlan {
        logical_id: resource.logical_id.clone(),
        name: resolver.physical_name(&resource.logical_id, &up.path("UsagePlanName"))?,
        api_id: api_id.clone(),
        stages,
        throttle,
        quota,
        keys,
    })
}

/// The stage names of the `ApiStages` entries for the WebSocket API; Refs to any API resolve
/// to its id, so the entries of other APIs name other ids.
fn stages(up: &Props<'_, '_>, api_id: &str) -> Result<Vec<String>> {
    let mut stages = Vec::new();
    let Some(Value::Array(items)) = up.value("ApiStages")? else {
        return Ok(stages);
    };
    for (index, item) in items.iter().enumerate() {
        let path = format!("{}[{index}]", up.path("ApiStages"));
        let Value::Object(map) = item else {
            return Err(StackError::invalid(path, "must be an object"));
        };
        if get_str(map, "ApiId", &path)?.as_deref() == Some(api_id) {
            stages.extend(get_str(map, "Stage", &path)?);
        }
    }
    Ok(stages)
}

/// A throttle needs both limits to be enforced.
fn throttle(map: &Map<String, Value>, path: &str) -> Result<Option<(f64, u32)>> {
    let rate = get_f64(map, "RateLimit", path)?;
    let burst = get_u32(map, "BurstLimit", path)?;
    Ok(rate.zip(burst))
}

fn quota(map: &Map<String, Value>, path: &str) -> Result<Option<Quota>> {
    let limit = get_str(map, "Limit", path)?
        .map(|t| t.parse::<u64>())
        .transpose()
        .map_err(|_| StackError::invalid(format!("{path}.Limit"), "is not a whole number"))?;
    Ok(limit.map(|limit| Quota {
        limit,
        period: get_str(map, "Period", path)
            .ok()
            .flatten()
            .unwrap_or_else(|| "DAY".into()),
    }))
}

/// The keys of the plan's usage plan keys. Their `KeyId` and `UsagePlanId` are Refs, which
/// resolve to logical ids.
fn keys(resolver: &Resolver<'_>, plan: &Resource, plan_keys: &[&Resource]) -> Result<Vec<String>> {
    let mut keys = Vec::new();
    for key in plan_keys {
        let kp = props(resolver, key);
        if kp.required_string("UsagePlanId")? == plan.logical_id {
            keys.push(kp.required_string("KeyId")?);
        }
    }
    Ok(keys)
}
