//! `AWS::ApiGatewayV2::Model`: the JSON Schemas that routes validate request bodies against.

use std::collections::BTreeMap;

use serde_json::Value;

use super::scope::ApiScope;
use crate::error::{Result, StackError};
use crate::resources::props::{json_text, props, Props};

/// The API's models, by `Name` (what a route's `RequestModels` name).
pub(super) fn read(scope: &ApiScope<'_>) -> Result<BTreeMap<String, Value>> {
    let mut models = BTreeMap::new();
    for resource in scope.members("AWS::ApiGatewayV2::Model") {
        let mp = props(scope.resolver, resource?);
        let schema = schema(&mp)?;
        models.insert(mp.required_string("Name")?, schema);
    }
    Ok(models)
}

/// `Schema`: an object, or its JSON text.
fn schema(mp: &Props<'_, '_>) -> Result<Value> {
    match mp.value("Schema")? {
        Some(Value::String(text)) => json_text(&text, &mp.path("Schema")),
        Some(schema @ Value::Object(_)) => Ok(schema),
        _ => Err(StackError::invalid(
            mp.path("Schema"),
            "must be a JSON Schema object",
        )),
    }
}
