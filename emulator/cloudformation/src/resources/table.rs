//! `AWS::DynamoDB::Table`: keys, indexes and time to live.

use serde_json::{Map, Value};

use super::present::Present;
use super::props::{get_str, object_items, props, required_str, Props};
use crate::error::Result;
use crate::intrinsics::{table_arn, Resolver};
use crate::model::{AttributeDefinition, KeyElement, SecondaryIndex, Stack, Table};
use crate::template::Resource;

pub(super) fn read(resolver: &Resolver<'_>, present: &Present<'_>, stack: &mut Stack) -> Result<()> {
    for resource in present.of("AWS::DynamoDB::Table") {
        stack.tables.push(table(resolver, resource)?);
    }
    Ok(())
}

fn table(resolver: &Resolver<'_>, resource: &Resource) -> Result<Table> {
    let p = props(resolver, resource);
    let id = &resource.logical_id;
    let name = resolver.physical_name(id, &p.path("TableName"))?;
    let key_schema = key_schema(p.value("KeySchema")?.as_ref(), &p.path("KeySchema"))?;
    let attribute_definitions = attribute_definitions(&p)?;
    let ttl_attribute = ttl_attribute(&p)?;
    if p.value("StreamSpecification")?.is_some() {
        resolver.warn(format!(
            "{id}: DynamoDB streams are not emulated locally (nothing consumes them here)"
        ));
    }
    Ok(Table {
        logical_id: id.clone(),
        arn: table_arn(resolver.env(), &name),
        name,
        key_schema,
        attribute_definitions,
        global_secondary_indexes: indexes(&p, "GlobalSecondaryIndexes")?,
        local_secondary_indexes: indexes(&p, "LocalSecondaryIndexes")?,
        ttl_attribute,
    })
}

fn key_schema(value: Option<&Value>, path: &str) -> Result<Vec<KeyElement>> {
    let Some(value) = value else { return Ok(Vec::new()) };
    object_items(value, path)?
        .into_iter()
        .map(|(path, map)| {
            Ok(KeyElement {
                attribute_name: required_str(map, "AttributeName", &path)?,
                key_type: required_str(map, "KeyType", &path)?,
            })
        })
        .collect()
}

fn attribute_definitions(p: &Props<'_, '_>) -> Result<Vec<AttributeDefinition>> {
    let Some(value) = p.value("AttributeDefinitions")? else {
        return Ok(Vec::new());
    };
    object_items(&value, &p.path("AttributeDefinitions"))?
        .into_iter()
        .map(|(path, map)| {
            Ok(AttributeDefinition {
                attribute_name: required_str(map, "AttributeName", &path)?,
                attribute_type: required_str(map, "AttributeType", &path)?,
            })
        })
        .collect()
}

/// `TimeToLiveSpecification.AttributeName`, only when the specification is enabled.
fn ttl_attribute(p: &Props<'_, '_>) -> Result<Option<String>> {
    let Some(Value::Object(spec)) = p.value("TimeToLiveSpecification")? else {
        return Ok(None);
    };
    let path = p.path("TimeToLiveSpecification");
    let enabled = get_str(&spec, "Enabled", &path)?.is_some_and(|e| e == "true");
    if enabled {
        get_str(&spec, "AttributeName", &path)
    } else {
        Ok(None)
    }
}

/// `GlobalSecondaryIndexes` or `LocalSecondaryIndexes`.
fn indexes(p: &Props<'_, '_>, property: &str) -> Result<Vec<SecondaryIndex>> {
    let Some(value) = p.value(property)? else {
        return Ok(Vec::new());
    };
    object_items(&value, &p.path(property))?
        .into_iter()
        .map(|(path, map)| index(map, &path))
        .collect()
}

/// A projection left out projects `ALL`, as in DynamoDB.
fn index(map: &Map<String, Value>, path: &str) -> Result<SecondaryIndex> {
    let projection = map.get("Projection").and_then(Value::as_object);
    let non_key_attributes = projection
        .and_then(|p| p.get("NonKeyAttributes"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(SecondaryIndex {
        index_name: required_str(map, "IndexName", path)?,
        key_schema: key_schema(map.get("KeySchema"), &format!("{path}.KeySchema"))?,
        projection_type: projection
            .and_then(|p| p.get("ProjectionType"))
            .and_then(Value::as_str)
            .unwrap_or("ALL")
            .to_owned(),
        non_key_attributes,
    })
}
