//! `Outputs`: resolved to text, with the stack's cloud URLs pointing at the local gateway.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{Result, StackError};
use crate::intrinsics::{scalar_string, Resolver};

/// Every output whose condition (if any) holds, by name.
pub(super) fn resolve(resolver: &Resolver<'_>) -> Result<BTreeMap<String, String>> {
    let rewriter = resolver.endpoint_rewriter();
    let mut outputs = BTreeMap::new();
    for (name, output) in &resolver.template().outputs {
        if let Some(text) = output_text(resolver, name, output)? {
            outputs.insert(name.clone(), rewriter.rewrite(&text));
        }
    }
    Ok(outputs)
}

/// `None` when the output's condition is false. A list becomes comma-separated text, as
/// CloudFormation shows list outputs.
fn output_text(resolver: &Resolver<'_>, name: &str, output: &Value) -> Result<Option<String>> {
    let path = format!("Outputs.{name}");
    if let Some(condition) = output.get("Condition").and_then(Value::as_str) {
        if !resolver.condition(condition, &format!("{path}.Condition"))? {
            return Ok(None);
        }
    }
    let value = output
        .get("Value")
        .ok_or_else(|| StackError::invalid(&path, "has no Value"))?;
    let text = match resolver.resolve_required(value, &format!("{path}.Value"))? {
        Value::Array(items) => items
            .iter()
            .map(|v| scalar_string(v, &path))
            .collect::<Result<Vec<_>>>()?
            .join(","),
        other => scalar_string(&other, &path)?,
    };
    Ok(Some(text))
}
