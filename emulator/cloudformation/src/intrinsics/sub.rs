//! `Fn::Sub`: `${Name}`, `${Logical.Attribute}` and `${!Literal}` in a string, with or without
//! a map of extra variables.

use serde_json::{Map, Value};

use super::resolver::Resolver;
use super::values::scalar_string;
use crate::error::{Result, StackError};

impl Resolver<'_> {
    /// `Fn::Sub` in both forms.
    pub(super) fn sub(&self, argument: &Value, path: &str) -> Result<String> {
        let (text, variables) = self.sub_arguments(argument, path)?;
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| StackError::invalid(path, format!("unclosed `${{` in {text:?}")))?;
            out.push_str(&self.placeholder(&after[..end], &variables, path)?);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The string and the variables of `"text"` or `["text", {variables}]`.
    fn sub_arguments<'v>(&self, argument: &'v Value, path: &str) -> Result<(&'v str, Map<String, Value>)> {
        match argument {
            Value::String(text) => Ok((text.as_str(), Map::new())),
            Value::Array(items) if items.len() == 2 => {
                let text = items[0]
                    .as_str()
                    .ok_or_else(|| StackError::invalid(format!("{path}[0]"), "expects a string"))?;
                match self.resolve_required(&items[1], &format!("{path}[1]"))? {
                    Value::Object(variables) => Ok((text, variables)),
                    _ => Err(StackError::invalid(
                        format!("{path}[1]"),
                        "expects an object of variables",
                    )),
                }
            }
            _ => Err(StackError::invalid(
                path,
                "expects a string or [string, {variables}]",
            )),
        }
    }

    /// What the text between `${` and `}` stands for.
    fn placeholder(&self, inner: &str, variables: &Map<String, Value>, path: &str) -> Result<String> {
        if let Some(literal) = inner.strip_prefix('!') {
            return Ok(format!("${{{literal}}}"));
        }
        let name = inner.trim();
        if let Some(value) = variables.get(name) {
            return scalar_string(value, &format!("{path}[1].{name}"));
        }
        if let Some((id, attribute)) = name.split_once('.').filter(|_| !name.starts_with("AWS::")) {
            return self.attribute(id, Some(attribute), path);
        }
        match self.reference(name, path)? {
            Some(value) => scalar_string(&value, path),
            None => Ok(String::new()),
        }
    }
}
