//! Typed access to resolved properties, shared by every reader. Errors name the property's path
//! in the template, e.g. `Resources.JobsQueue.Properties.VisibilityTimeout`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{Result, StackError};
use crate::intrinsics::{property_path, scalar_string, Resolver};
use crate::template::Resource;

/// The properties of one resource, resolved on access.
pub(super) struct Props<'r, 't> {
    resolver: &'r Resolver<'t>,
    resource: &'r Resource,
}

pub(super) fn props<'r, 't>(resolver: &'r Resolver<'t>, resource: &'r Resource) -> Props<'r, 't> {
    Props { resolver, resource }
}

impl Props<'_, '_> {
    pub(super) fn path(&self, name: &str) -> String {
        property_path(self.resource, name)
    }

    pub(super) fn value(&self, name: &str) -> Result<Option<Value>> {
        self.resolver.property(self.resource, name)
    }

    pub(super) fn string(&self, name: &str) -> Result<Option<String>> {
        self.resolver.property_string(self.resource, name)
    }

    pub(super) fn required_string(&self, name: &str) -> Result<String> {
        self.string(name)?
            .ok_or_else(|| StackError::invalid(self.path(name), "is required"))
    }

    pub(super) fn integer(&self, name: &str) -> Result<Option<u64>> {
        self.string(name)?
            .map(|text| {
                text.parse::<u64>().map_err(|_| {
                    StackError::invalid(self.path(name), format!("`{text}` is not a whole number"))
                })
            })
            .transpose()
    }

    /// A whole number that must fit the model's `u32`, or `default` when absent.
    pub(super) fn u32_or(&self, name: &str, default: u64) -> Result<u32> {
        to_u32(self.integer(name)?.unwrap_or(default), &self.path(name))
    }

    /// CloudFormation accepts `true`/`false` in either case of the first letter.
    pub(super) fn flag(&self, name: &str) -> Result<Option<bool>> {
        self.string(name)?
            .map(|text| match text.as_str() {
                "true" | "True" => Ok(true),
                "false" | "False" => Ok(false),
                _ => Err(StackError::invalid(
                    self.path(name),
                    format!("`{text}` is not a boolean"),
                )),
            })
            .transpose()
    }

    pub(super) fn string_map(&self, name: &str) -> Result<BTreeMap<String, String>> {
        string_map(self.value(name)?, &self.path(name))
    }
}

/// An object of scalars as text; absent is empty.
pub(super) fn string_map(value: Option<Value>, path: &str) -> Result<BTreeMap<String, String>> {
    match value {
        None => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| {
                let text = scalar_string(&v, &format!("{path}.{k}"))?;
                Ok((k, text))
            })
            .collect(),
        Some(_) => Err(StackError::invalid(path, "must be an object of strings")),
    }
}

/// JSON given as a string, as templates may give policies and schemas.
pub(super) fn json_text(text: &str, path: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| StackError::invalid(path, format!("is not JSON: {e}")))
}

/// A scalar entry of a (resolved) object property, as text.
pub(super) fn get_str(map: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>> {
    map.get(key)
        .map(|v| scalar_string(v, &format!("{path}.{key}")))
        .transpose()
}

/// An entry that must be present.
pub(super) fn required_str(map: &Map<String, Value>, key: &str, path: &str) -> Result<String> {
    get_str(map, key, path)?.ok_or_else(|| StackError::invalid(path, format!("has no {key}")))
}

pub(super) fn get_u32(map: &Map<String, Value>, key: &str, path: &str) -> Result<Option<u32>> {
    get_str(map, key, path)?
        .map(|text| {
            text.parse::<u32>().map_err(|_| {
                StackError::invalid(format!("{path}.{key}"), format!("`{text}` is not a whole number"))
            })
        })
        .transpose()
}

pub(super) fn get_f64(map: &Map<String, Value>, key: &str, path: &str) -> Result<Option<f64>> {
    get_str(map, key, path)?
        .map(|text| {
            text.parse::<f64>().map_err(|_| {
                StackError::invalid(format!("{path}.{key}"), format!("`{text}` is not a number"))
            })
        })
        .transpose()
}

/// The objects of a list property, each with its property path (for errors).
pub(super) fn object_items<'a>(
    value: &'a Value,
    path: &str,
) -> Result<Vec<(String, &'a Map<String, Value>)>> {
    let items = value
        .as_array()
        .ok_or_else(|| StackError::invalid(path, "must be a list"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("{path}[{i}]");
            let map = item
                .as_object()
                .ok_or_else(|| StackError::invalid(&path, "must be an object"))?;
            Ok((path, map))
        })
        .collect()
}

fn to_u32(value: u64, path: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| StackError::invalid(path, "is too large"))
}
