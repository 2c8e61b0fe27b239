//! `AWS::ApiGatewayV2::Stage`: the stage's name, throttling and variables.

use std::collections::BTreeMap;

use serde_json::Value;

use super::scope::ApiScope;
use crate::error::{Result, StackError};
use crate::intrinsics::Resolver;
use crate::model::Stage;
use crate::resources::props::{get_str, get_u32, props, Props};
use crate::template::Resource;

/// Throttling settings: (`ThrottlingRateLimit`, `ThrottlingBurstLimit`).
type Throttling = (Option<f64>, Option<u32>);

/// The API's first stage, or `$default` when it has none.
pub(super) fn read(scope: &ApiScope<'_>) -> Result<Stage> {
    let mut stage = None;
    for resource in scope.members("AWS::ApiGatewayV2::Stage") {
        let resource = resource?;
        if stage.is_some() {
            scope.warn_second(resource, "stage");
            continue;
        }
        stage = Some(stage_of(scope.resolver, resource)?);
    }
    Ok(stage.unwrap_or_else(|| {
        scope
            .resolver
            .warn("the WebSocket API has no stage; serving it as `$default`".to_owned());
        Stage {
            name: "$default".into(),
            ..Stage::default()
        }
    }))
}

fn stage_of(resolver: &Resolver<'_>, resource: &Resource) -> Result<Stage> {
    let sp = props(resolver, resource);
    let (rate, burst) = throttling(
        sp.value("DefaultRouteSettings")?.as_ref(),
        &sp.path("DefaultRouteSettings"),
    )?;
    let route_settings = route_settings(&sp)?;
    Ok(Stage {
        name: resolver.physical_name(&resource.logical_id, &sp.path("StageName"))?,
        throttling_rate: rate,
        throttling_burst: burst,
        route_settings,
        variables: sp.string_map("StageVariables")?,
    })
}

/// `RouteSettings`: throttling by route key.
fn route_settings(sp: &Props<'_, '_>) -> Result<BTreeMap<String, Throttling>> {
    let mut settings = BTreeMap::new();
    if let Some(Value::Object(map)) = sp.value("RouteSettings")? {
        for (key, value) in &map {
            let path = format!("{}.{key}", sp.path("RouteSettings"));
            settings.insert(key.clone(), throttling(Some(value), &path)?);
        }
    }
    Ok(settings)
}

fn throttling(value: Option<&Value>, path: &str) -> Result<Throttling> {
    let Some(Value::Object(map)) = value else {
        return Ok((None, None));
    };
    let rate = get_str(map, "ThrottlingRateLimit", path)?
        .map(|t| {
            t.parse::<f64>()
                .map_err(|_| StackError::invalid(format!("{path}.ThrottlingRateLimit"), "is not a number"))
        })
        .transpose()?;
    Ok((rate, get_u32(map, "ThrottlingBurstLimit", path)?))
}
