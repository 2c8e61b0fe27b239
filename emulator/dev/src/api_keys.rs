//! The API keys the gateway accepts: enabled keys of usage plans bound to the API's stage.

use wsflow_apigateway::ApiKeyGrant;
use wsflow_cloudformation::{ProvisionedKey, Stack};

/// The keys the gateway of `stack`'s WebSocket API (`api_id`) accepts: each provisioned key
/// that is enabled and in a usage plan bound to the API's stage, with that plan's throttle
/// and quota. Empty when the template has no WebSocket API.
pub fn grants(stack: &Stack, api_id: &str, keys: &[ProvisionedKey]) -> Vec<ApiKeyGrant> {
    let Some(api) = &stack.api else { return Vec::new() };
    let plans: Vec<_> = stack
        .usage_plans
        .iter()
        .filter(|plan| plan.api_id == api_id && plan.stages.contains(&api.stage.name))
        .collect();
    keys.iter()
        .filter(|key| key.enabled)
        .filter_map(|key| {
            // API Gateway lets a key be in one plan per stage.
            let plan = plans.iter().find(|plan| plan.keys.contains(&key.logical_id))?;
            Some(ApiKeyGrant {
                id: key.id.clone(),
                value: key.value.clone(),
                throttle: plan.throttle,
                quota: plan.quota.as_ref().map(|q| (q.limit, q.period.clone())),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use wsflow_cloudformation::{Quota, Stage, UsagePlan, WebSocketApi};

    use super::*;

    fn key(logical_id: &str, enabled: bool) -> ProvisionedKey {
        ProvisionedKey {
            logical_id: logical_id.into(),
            id: format!("id-{logical_id}"),
            value: format!("value-{logical_id}"),
            enabled,
        }
    }

    fn plan(api_id: &str, stage: &str, keys: &[&str]) -> UsagePlan {
        UsagePlan {
            logical_id: format!("Plan{api_id}{stage}"),
            name: "plan".into(),
            api_id: api_id.into(),
            stages: vec![stage.into()],
            throttle: Some((5.0, 2)),
            quota: Some(Quota {
                limit: 100,
                period: "DAY".into(),
            }),
            keys: keys.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn only_enabled_keys_of_a_plan_on_this_stage_are_granted() {
        let api = WebSocketApi {
            stage: Stage {
                name: "api".into(),
                ..Stage::default()
            },
            ..WebSocketApi::default()
        };
        let stack = Stack {
            api: Some(api),
            usage_plans: vec![
                plan("local0000a", "api", &["A", "B"]),
                plan("local0000a", "other", &["C"]),
            ],
            ..Stack::default()
        };
        let keys = [key("A", true), key("B", false), key("C", true), key("D", true)];
        let granted = grants(&stack, "local0000a", &keys);
        assert_eq!(granted.len(), 1);
        assert_eq!(granted[0].id, "id-A");
        assert_eq!(granted[0].value, "value-A");
        assert_eq!(granted[0].throttle, Some((5.0, 2)));
        assert_eq!(granted[0].quota, Some((100, "DAY".to_string())));
        assert!(grants(&stack, "another-api", &keys).is_empty());
    }
}
