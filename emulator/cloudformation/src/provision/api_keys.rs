//! API keys and usage plans (API Gateway's v1 API, which WebSocket APIs share).
//!
//! Created on the backend so that the developer reads a key's value the way production
//! requires (`aws apigateway get-api-key --include-value`): the template never holds it.

use std::collections::BTreeMap;

use aws_sdk_apigateway::error::DisplayErrorContext;
use aws_sdk_apigateway::types::{ApiStage, QuotaPeriodType, QuotaSettings, ThrottleSettings};
use aws_sdk_apigateway::Client;

use super::report::{Action, Provisioned, ProvisionedKey};
use crate::error::{Result, StackError};
use crate::model::{ApiKey, Stack, UsagePlan};

/// Keys first, then the plans that name them (by logical id) and their plan keys.
pub async fn provision_api_keys(
    client: &Client,
    stack: &Stack,
    resources: &mut Vec<Provisioned>,
) -> Result<Vec<ProvisionedKey>> {
    let mut keys = Vec::new();
    for key in &stack.api_keys {
        let (provisioned, action) = provision_key(client, key).await?;
        resources.push(entry(
            &key.logical_id,
            "AWS::ApiGateway::ApiKey",
            &provisioned.id,
            action,
        ));
        keys.push(provisioned);
    }
    let ids: BTreeMap<&str, &str> = keys
        .iter()
        .map(|k| (k.logical_id.as_str(), k.id.as_str()))
        .collect();
    for plan in &stack.usage_plans {
        let (plan_id, action) = provision_plan(client, plan).await?;
        resources.push(entry(
            &plan.logical_id,
            "AWS::ApiGateway::UsagePlan",
            &plan_id,
            action,
        ));
        for key in &plan.keys {
            let key_id = ids.get(key.as_str()).ok_or_else(|| {
                StackError::invalid(
                    format!("Resources.{}", plan.logical_id),
                    format!("a usage plan key names `{key}`, which is no API key of this stack"),
                )
            })?;
            attach(client, &plan_id, key_id).await?;
        }
    }
    Ok(keys)
}

fn entry(logical_id: &str, kind: &str, id: &str, action: Action) -> Provisioned {
    Provisioned {
        logical_id: logical_id.to_owned(),
        kind: kind.to_owned(),
        physical_id: id.to_owned(),
        action,
    }
}

async fn provision_key(client: &Client, key: &ApiKey) -> Result<(ProvisionedKey, Action)> {
    let what = format!("API key {} ({})", key.logical_id, key.name);
    let error = |e: String| StackError::backend(&what, e);
    let existing = client
        .get_api_keys()
        .name_query(&key.name)
        .include_values(true)
        .send()
        .await
        .map_err(|e| error(DisplayErrorContext(e).to_string()))?
        .items
        .unwrap_or_default()
        .into_iter()
        .find(|k| k.name.as_deref() == Some(key.name.as_str()));
    let (id, value, enabled, action) = match existing {
        Some(found) => (found.id, found.value, found.enabled, Action::Reused),
        None => {
            let created = client
                .create_api_key()
                .name(&key.name)
                .enabled(key.enabled)
                .set_value(key.value.clone())
                .send()
                .await
                .map_err(|e| error(DisplayErrorContext(e).to_string()))?;
            (created.id, created.value, created.enabled, Action::Created)
        }
    };
    let provisioned = ProvisionedKey {
        logical_id: key.logical_id.clone(),
        id: id.ok_or_else(|| error("the backend returned no key id".into()))?,
        value: value.ok_or_else(|| error("the backend returned no key value".into()))?,
        enabled,
    };
    Ok((provisioned, action))
}

async fn provision_plan(client: &Client, plan: &UsagePlan) -> Result<(String, Action)> {
    let what = format!("usage plan {} ({})", plan.logical_id, plan.name);
    let error = |e: String| StackError::backend(&what, e);
    let existing = client
        .get_usage_plans()
        .send()
        .await
        .map_err(|e| error(DisplayErrorContext(e).to_string()))?
        .items
        .unwrap_or_default()
        .into_iter()
        .find(|p| p.name.as_deref() == Some(plan.name.as_str()));
    if let Some(id) = existing.and_then(|p| p.id) {
        return Ok((id, Action::Reused));
    }
    let stages = plan
        .stages
        .iter()
        .map(|stage| ApiStage::builder().api_id(&plan.api_id).stage(stage).build())
        .collect();
    let throttle = plan.throttle.map(|(rate, burst)| {
        ThrottleSettings::builder()
            .rate_limit(rate)
            .burst_limit(burst as i32)
            .build()
    });
    let quota = plan.quota.as_ref().map(|q| {
        QuotaSettings::builder()
            .limit(i32::try_from(q.limit).unwrap_or(i32::MAX))
            .period(QuotaPeriodType::from(q.period.as_str()))
            .build()
    });
    let created = client
        .create_usage_plan()
        .name(&plan.name)
        .set_api_stages(Some(stages))
        .set_throttle(throttle)
        .set_quota(quota)
        .send()
        .await
        .map_err(|e| error(DisplayErrorContext(e).to_string()))?;
    let id = created
        .id
        .ok_or_else(|| error("the backend returned no usage plan id".into()))?;
    Ok((id, Action::Created))
}

/// Attaching a key twice is a conflict on the backend, which here means "already done".
async fn attach(client: &Client, plan_id: &str, key_id: &str) -> Result<()> {
    let result = client
        .create_usage_plan_key()
        .usage_plan_id(plan_id)
        .key_id(key_id)
        .key_type("API_KEY")
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_conflict_exception()) => Ok(()),
        Err(e) => Err(StackError::backend(
            format!("attaching API key {key_id} to usage plan {plan_id}"),
            DisplayErrorContext(e).to_string(),
        )),
    }
}
