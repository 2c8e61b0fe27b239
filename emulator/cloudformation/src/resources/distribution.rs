//! `AWS::CloudFront::Distribution`: the custom headers CloudFront adds to what it forwards to
//! the API, read from the origin the default cache behavior targets.

use serde_json::{Map, Value};

use super::present::Present;
use super::props::{get_str, object_items, required_str};
use crate::error::Result;
use crate::intrinsics::{property_path, Resolver};
use crate::model::{Distribution, Stack};
use crate::template::Resource;

pub(super) fn read(resolver: &Resolver<'_>, present: &Present<'_>, stack: &mut Stack) -> Result<()> {
    for resource in present.of("AWS::CloudFront::Distribution") {
        stack.distributions.push(distribution(resolver, resource)?);
    }
    Ok(())
}

fn distribution(resolver: &Resolver<'_>, resource: &Resource) -> Result<Distribution> {
    let path = property_path(resource, "DistributionConfig");
    let origin_headers = match resolver.property(resource, "DistributionConfig")? {
        Some(Value::Object(config)) => origin_headers(&config, &path)?,
        _ => Vec::new(),
    };
    Ok(Distribution {
        logical_id: resource.logical_id.clone(),
        origin_headers,
    })
}

/// The `OriginCustomHeaders` of the origin `DefaultCacheBehavior.TargetOriginId` names (the
/// only origin, when there is one and no behavior names it).
fn origin_headers(config: &Map<String, Value>, path: &str) -> Result<Vec<(String, String)>> {
    let Some(origins) = config.get("Origins") else {
        return Ok(Vec::new());
    };
    let origins = object_items(origins, &format!("{path}.Origins"))?;
    let target = config
        .get("DefaultCacheBehavior")
        .and_then(|b| b.get("TargetOriginId"))
        .and_then(Value::as_str);
    let chosen = match target {
        Some(id) => origins
            .iter()
            .find(|(_, origin)| origin.get("Id").and_then(Value::as_str) == Some(id)),
        None if origins.len() == 1 => origins.first(),
        None => None,
    };
    let Some((origin_path, origin)) = chosen else {
        return Ok(Vec::new());
    };
    let Some(headers) = origin.get("OriginCustomHeaders") else {
        return Ok(Vec::new());
    };
    let headers_path = format!("{origin_path}.OriginCustomHeaders");
    object_items(headers, &headers_path)?
        .into_iter()
        .map(|(header_path, header)| {
            let name = required_str(header, "HeaderName", &header_path)?;
            let value = get_str(header, "HeaderValue", &header_path)?.unwrap_or_default();
            Ok((name, value))
        })
        .collect()
}
