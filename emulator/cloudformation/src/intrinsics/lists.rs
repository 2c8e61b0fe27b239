//! `Fn::Join`, `Fn::Select` and `Fn::Split`: between strings and lists.

use serde_json::Value;

use super::resolver::Resolver;
use super::values::{arguments, scalar_string};
use crate::error::{Result, StackError};

impl Resolver<'_> {
    pub(super) fn join(&self, argument: &Value, path: &str) -> Result<Option<Value>> {
        let args = arguments(argument, 2, path, "expects [delimiter, [values]]")?;
        let delimiter = self.resolve_string(&args[0], &format!("{path}[0]"))?;
        let list = self.resolve_list(&args[1], &format!("{path}[1]"))?;
        let parts = list
            .iter()
            .enumerate()
            .map(|(i, v)| scalar_string(v, &format!("{path}[1][{i}]")))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Value::String(parts.join(&delimiter))))
    }

    pub(super) fn select(&self, argument: &Value, path: &str) -> Result<Option<Value>> {
        let args = arguments(argument, 2, path, "expects [index, [values]]")?;
        let index_value = self.resolve_required(&args[0], &format!("{path}[0]"))?;
        let index = scalar_string(&index_value, &format!("{path}[0]"))?
            .parse::<usize>()
            .map_err(|_| StackError::invalid(format!("{path}[0]"), "index is not a non-negative integer"))?;
        let list = self.resolve_list(&args[1], &format!("{path}[1]"))?;
        let length = list.len();
        list.into_iter().nth(index).map(Some).ok_or_else(|| {
            StackError::invalid(
                path,
                format!("index {index} is out of range (the list has {length} values)"),
            )
        })
    }

    pub(super) fn split(&self, argument: &Value, path: &str) -> Result<Option<Value>> {
        let args = arguments(argument, 2, path, "expects [delimiter, string]")?;
        let delimiter = self.resolve_string(&args[0], &format!("{path}[0]"))?;
        if delimiter.is_empty() {
            return Err(StackError::invalid(path, "the delimiter is empty"));
        }
        let text = self.resolve_string(&args[1], &format!("{path}[1]"))?;
        Ok(Some(Value::Array(
            text.split(delimiter.as_str())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        )))
    }

    fn resolve_list(&self, value: &Value, path: &str) -> Result<Vec<Value>> {
        match self.resolve_required(value, path)? {
            Value::Array(items) => Ok(items),
            other => Err(StackError::invalid(
                path,
                format!("expects a list, found {other}"),
            )),
        }
    }
}
