//! `AWS::Lambda::Function`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::present::Present;
use super::props::{props, string_map, Props};
use crate::endpoints::EndpointRewriter;
use crate::error::Result;
use crate::intrinsics::{function_arn, scalar_string, Resolver};
use crate::model::{Function, FunctionCode, Stack};
use crate::template::Resource;

pub(super) fn read(resolver: &Resolver<'_>, present: &Present<'_>, stack: &mut Stack) -> Result<()> {
    let rewriter = resolver.endpoint_rewriter();
    for resource in present.of("AWS::Lambda::Function") {
        stack.functions.push(function(resolver, resource, &rewriter)?);
    }
    Ok(())
}

fn function(resolver: &Resolver<'_>, resource: &Resource, rewriter: &EndpointRewriter) -> Result<Function> {
    let p = props(resolver, resource);
    let name = resolver.physical_name(&resource.logical_id, &p.path("FunctionName"))?;
    let env = environment(&p, rewriter)?;
    let architecture = architecture(&p)?;
    Ok(Function {
        logical_id: resource.logical_id.clone(),
        arn: function_arn(resolver.env(), &name),
        name,
        binary: resource.metadata_str("wsflow:binary").map(str::to_owned),
        manifest: resource.metadata_str("wsflow:manifest").map(str::to_owned),
        env,
        timeout_s: p.integer("Timeout")?.unwrap_or(3),
        memory_mb: p.u32_or("MemorySize", 128)?,
        architecture,
        handler: p.string("Handler")?,
        runtime: p.string("Runtime")?,
        code: code(&p, resource)?,
    })
}

/// A local folder recorded when the template was prepared, else `Code.ZipFile`.
fn code(p: &Props<'_, '_>, resource: &Resource) -> Result<FunctionCode> {
    if let Some(dir) = resource.metadata_str("wsflow:code") {
        return Ok(FunctionCode::Directory(dir.into()));
    }
    let inline = match p.value("Code")? {
        Some(Value::Object(code)) => match code.get("ZipFile") {
            Some(source) => Some(scalar_string(source, &p.path("Code.ZipFile"))?),
            None => None,
        },
        _ => None,
    };
    Ok(inline.map_or(FunctionCode::Remote, FunctionCode::Inline))
}

/// `Environment.Variables`, with the cloud URLs of this stack's API pointing at the local
/// gateway: functions call back into the API through them.
fn environment(p: &Props<'_, '_>, rewriter: &EndpointRewriter) -> Result<BTreeMap<String, String>> {
    let mut env = BTreeMap::new();
    if let Some(environment) = p.value("Environment")? {
        let path = p.path("Environment.Variables");
        let variables = environment.get("Variables").cloned();
        for (key, value) in string_map(variables, &path)? {
            env.insert(key, rewriter.rewrite(&value));
        }
    }
    Ok(env)
}

fn architecture(p: &Props<'_, '_>) -> Result<String> {
    Ok(match p.value("Architectures")? {
        Some(Value::Array(items)) if !items.is_empty() => {
            scalar_string(&items[0], &p.path("Architectures[0]"))?
        }
        _ => "x86_64".to_owned(),
    })
}
