//! Walking a template value: plain objects and arrays are resolved member by member, and a
//! one-key object whose key is `Ref` or `Fn::…` is handed to its intrinsic family.

use serde_json::{Map, Value};

use super::resolver::Resolver;
use crate::error::{Result, StackError};
use crate::template::Resource;

impl Resolver<'_> {
    /// Resolves a value; `None` means `AWS::NoValue`.
    pub fn resolve(&self, value: &Value, path: &str) -> Result<Option<Value>> {
        match value {
            Value::Object(map) => {
                if let Some((key, argument)) = intrinsic_call(map) {
                    return self.intrinsic(key, argument, &format!("{path}.{key}"));
                }
                self.resolve_object(map, path).map(Some)
            }
            Value::Array(items) => self.resolve_array(items, path).map(Some),
            scalar => Ok(Some(scalar.clone())),
        }
    }

    fn resolve_object(&self, map: &Map<String, Value>, path: &str) -> Result<Value> {
        let mut out = Map::new();
        for (key, item) in map {
            if let Some(resolved) = self.resolve(item, &format!("{path}.{key}"))? {
                out.insert(key.clone(), resolved);
            }
        }
        Ok(Value::Object(out))
    }

    fn resolve_array(&self, items: &[Value], path: &str) -> Result<Value> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if let Some(resolved) = self.resolve(item, &format!("{path}[{i}]"))? {
                out.push(resolved);
            }
        }
        Ok(Value::Array(out))
    }

    /// Resolves a value that must not be `AWS::NoValue`.
    pub fn resolve_required(&self, value: &Value, path: &str) -> Result<Value> {
        self.resolve(value, path)?
            .ok_or_else(|| StackError::invalid(path, "AWS::NoValue is not allowed here"))
    }

    /// Resolves a value that must be a string (numbers and booleans are written as text).
    pub fn resolve_string(&self, value: &Value, path: &str) -> Result<String> {
        let resolved = self.resolve_required(value, path)?;
        scalar_string(&resolved, path)
    }

    /// A property of a resource, resolved; `None` when absent or `AWS::NoValue`.
    pub fn property(&self, resource: &Resource, name: &str) -> Result<Option<Value>> {
        match resource.properties.get(name) {
            None => Ok(None),
            Some(value) => self.resolve(value, &property_path(resource, name)),
        }
    }

    /// A string property of a resource, resolved.
    pub fn property_string(&self, resource: &Resource, name: &str) -> Result<Option<String>> {
        let path = property_path(resource, name);
        self.property(resource, name)?
            .map(|value| scalar_string(&value, &path))
            .transpose()
    }

    fn intrinsic(&self, name: &str, argument: &Value, path: &str) -> Result<Option<Value>> {
        match name {
            "Ref" => self.ref_intrinsic(argument, path),
            "Fn::GetAtt" => self.get_att(argument, path),
            "Fn::Sub" => self.sub(argument, path).map(|s| Some(Value::String(s))),
            "Fn::Join" => self.join(argument, path),
            "Fn::Select" => self.select(argument, path),
            "Fn::Split" => self.split(argument, path),
            "Fn::If" => self.if_intrinsic(argument, path),
            "Fn::Base64" => self.base64_intrinsic(argument, path),
            "Fn::GetAZs" => self.get_azs(argument, path),
            "Fn::ImportValue" => self.import_value(argument, path),
            "Fn::FindInMap" => self.find_in_map(argument, path),
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => self.condition_intrinsic(name, argument, path),
            other => Err(StackError::invalid(
                path,
                format!("the intrinsic function `{other}` is not supported in local mode"),
            )),
        }
    }
}

/// The function name and argument of `{"Ref": …}` or `{"Fn::…": …}`; `None` for plain objects.
fn intrinsic_call(map: &Map<String, Value>) -> Option<(&String, &Value)> {
    if map.len() != 1 {
        return None;
    }
    let (key, argument) = map.iter().next().expect("one entry");
    (key == "Ref" || key.starts_with("Fn::")).then_some((key, argument))
}

/// The fixed-length argument list of an intrinsic, or an error saying what it expects.
pub(super) fn arguments<'v>(
    argument: &'v Value,
    len: usize,
    path: &str,
    expects: &str,
) -> Result<&'v [Value]> {
    argument
        .as_array()
        .filter(|a| a.len() == len)
        .map(Vec::as_slice)
        .ok_or_else(|| StackError::invalid(path, expects))
}

pub(crate) fn property_path(resource: &Resource, name: &str) -> String {
    format!("Resources.{}.Properties.{name}", resource.logical_id)
}

/// A scalar as text; objects and arrays are an error.
pub fn scalar_string(value: &Value, path: &str) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(StackError::invalid(
            path,
            format!("expects a string, found {other}"),
        )),
    }
}
