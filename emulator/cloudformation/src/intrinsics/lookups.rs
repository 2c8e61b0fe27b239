//! `Fn::FindInMap`, `Fn::GetAZs` and `Fn::ImportValue`: values that come from outside the
//! expression (the template's `Mappings`, the region, other stacks).

use serde_json::Value;

use super::resolver::Resolver;
use super::values::arguments;
use crate::error::{Result, StackError};

impl Resolver<'_> {
    pub(super) fn find_in_map(&self, argument: &Value, path: &str) -> Result<Option<Value>> {
        let args = arguments(
            argument,
            3,
            path,
            "expects [map, top-level key, second-level key]",
        )?;
        let map = self.resolve_string(&args[0], &format!("{path}[0]"))?;
        let top = self.resolve_string(&args[1], &format!("{path}[1]"))?;
        let second = self.resolve_string(&args[2], &format!("{path}[2]"))?;
        let value = self
            .template
            .mappings
            .get(&map)
            .and_then(|m| m.get(&top))
            .and_then(|m| m.get(&second))
            .ok_or_else(|| StackError::invalid(path, format!("Mappings has no {map}.{top}.{second}")))?
            .clone();
        self.resolve(&value, &format!("Mappings.{map}.{top}.{second}"))
    }

    /// Three zones, `{region}a` to `{region}c`; `""` means the stack's region.
    pub(super) fn get_azs(&self, argument: &Value, path: &str) -> Result<Option<Value>> {
        let region = self.resolve_string(argument, path)?;
        let region = if region.is_empty() {
            self.env.region.clone()
        } else {
            region
        };
        Ok(Some(Value::Array(
            ["a", "b", "c"]
                .iter()
                .map(|z| Value::String(format!("{region}{z}")))
                .collect(),
        )))
    }

    /// Always an error: local mode runs one stack, so there is nothing to import from.
    pub(super) fn import_value(&self, argument: &Value, path: &str) -> Result<Option<Value>> {
        let name = self
            .resolve_string(argument, path)
            .unwrap_or_else(|_| argument.to_string());
        Err(StackError::ImportValue {
            path: path.to_owned(),
            name,
        })
    }
}
