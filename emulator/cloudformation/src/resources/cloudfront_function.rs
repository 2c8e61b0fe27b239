//! `AWS::CloudFront::Function`, with the event type the distributions associate it with.

use serde_json::Value;

use super::present::Present;
use super::props::{get_str, props};
use crate::error::Result;
use crate::intrinsics::{property_path, scalar_string, Resolver};
use crate::model::{CloudFrontFunction, Stack};
use crate::template::Resource;

pub(super) fn read(resolver: &Resolver<'_>, present: &Present<'_>, stack: &mut Stack) -> Result<()> {
    let distributions: Vec<&Resource> = present.of("AWS::CloudFront::Distribution").collect();
    for resource in present.of("AWS::CloudFront::Function") {
        stack
            .cloudfront_functions
            .push(edge_function(resolver, resource, &distributions)?);
    }
    Ok(())
}

fn edge_function(
    resolver: &Resolver<'_>,
    resource: &Resource,
    distributions: &[&Resource],
) -> Result<CloudFrontFunction> {
    let p = props(resolver, resource);
    let id = &resource.logical_id;
    let arn = resolver.attribute(id, Some("FunctionARN"), &p.path("Name"))?;
    let mut event_type = None;
    for distribution in distributions {
        let found = associated_event_type(resolver, distribution, &arn)?;
        event_type = event_type.or(found);
    }
    let runtime = match p.value("FunctionConfig")? {
        Some(Value::Object(config)) => get_str(&config, "Runtime", &p.path("FunctionConfig"))?,
        _ => None,
    };
    Ok(CloudFrontFunction {
        logical_id: id.clone(),
        name: resolver.physical_name(id, &p.path("Name"))?,
        code: p.required_string("FunctionCode")?,
        runtime: runtime.unwrap_or_else(|| "cloudfront-js-1.0".to_owned()),
        event_type: event_type.unwrap_or_else(|| "viewer-request".to_owned()),
    })
}

/// The `EventType` of the first of the distribution's `FunctionAssociations` (default cache
/// behavior first) that names the function's ARN.
fn associated_event_type(
    resolver: &Resolver<'_>,
    distribution: &Resource,
    arn: &str,
) -> Result<Option<String>> {
    let path = property_path(distribution, "DistributionConfig");
    let Some(config) = resolver.property(distribution, "DistributionConfig")? else {
        return Ok(None);
    };
    let mut behaviors: Vec<&Value> = config.get("DefaultCacheBehavior").into_iter().collect();
    if let Some(Value::Array(more)) = config.get("CacheBehaviors") {
        behaviors.extend(more.iter());
    }
    let mut event_type = None;
    for behavior in behaviors {
        let Some(Value::Array(associations)) = behavior.get("FunctionAssociations") else {
            continue;
        };
        for association in associations {
            if association.get("FunctionARN").and_then(Value::as_str) == Some(arn) {
                let kind = association
                    .get("EventType")
                    .map(|v| scalar_string(v, &path))
                    .transpose()?;
                event_type = event_type.or(kind);
            }
        }
    }
    Ok(event_type)
}
