//! `Conditions`, the condition functions (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`,
//! `Condition`), `Fn::If`, and resources' `Condition`.

use serde_json::{Map, Value};

use super::resolver::Resolver;
use super::values::arguments;
use crate::error::{Result, StackError};
use crate::template::Resource;

impl Resolver<'_> {
    /// Whether the named condition holds.
    pub fn condition(&self, name: &str, path: &str) -> Result<bool> {
        if let Some(value) = self.conditions.borrow().get(name) {
            return Ok(*value);
        }
        let expression = self
            .template
            .conditions
            .get(name)
            .ok_or_else(|| StackError::invalid(path, format!("unknown condition `{name}`")))?;
        // Prefixed so that a condition and a resource of the same name are distinct in the chain.
        let key = format!("Condition:{name}");
        self.enter(&key, path)?;
        let result = self.condition_value(expression, &format!("Conditions.{name}"));
        self.leave();
        let value = result?;
        self.conditions.borrow_mut().insert(name.to_owned(), value);
        Ok(value)
    }

    /// Whether a resource exists: it has no `Condition`, or its condition holds.
    pub fn exists(&self, resource: &Resource) -> Result<bool> {
        match &resource.condition {
            None => Ok(true),
            Some(name) => self.condition(name, &format!("Resources.{}.Condition", resource.logical_id)),
        }
    }

    pub(super) fn if_intrinsic(&self, argument: &Value, path: &str) -> Result<Option<Value>> {
        let args = arguments(argument, 3, path, "expects [condition, if true, if false]")?;
        let condition = args[0]
            .as_str()
            .ok_or_else(|| StackError::invalid(format!("{path}[0]"), "expects a condition name"))?;
        if self.condition(condition, &format!("{path}[0]"))? {
            self.resolve(&args[1], &format!("{path}[1]"))
        } else {
            self.resolve(&args[2], &format!("{path}[2]"))
        }
    }

    /// A condition function used as a value (outside `Conditions`): a boolean.
    pub(super) fn condition_intrinsic(
        &self,
        name: &str,
        argument: &Value,
        path: &str,
    ) -> Result<Option<Value>> {
        let mut object = Map::new();
        object.insert(name.to_owned(), argument.clone());
        let value = self.condition_value(&Value::Object(object), path)?;
        Ok(Some(Value::Bool(value)))
    }

    fn condition_value(&self, expression: &Value, path: &str) -> Result<bool> {
        let map = expression
            .as_object()
            .filter(|m| m.len() == 1)
            .ok_or_else(|| StackError::invalid(path, "a condition is a one-key object"))?;
        let (function, argument) = map.iter().next().expect("one entry");
        let path = format!("{path}.{function}");
        match function.as_str() {
            "Condition" => self.named_condition(argument, &path),
            "Fn::Equals" => self.equals(condition_arguments(argument, Some(2), &path)?, &path),
            "Fn::Not" => {
                let args = condition_arguments(argument, Some(1), &path)?;
                Ok(!self.condition_value(&args[0], &format!("{path}[0]"))?)
            }
            "Fn::And" | "Fn::Or" => {
                let values = self.condition_values(condition_arguments(argument, None, &path)?, &path)?;
                Ok(if function == "Fn::And" {
                    values.iter().all(|v| *v)
                } else {
                    values.iter().any(|v| *v)
                })
            }
            other => Err(StackError::invalid(
                &path,
                format!("`{other}` is not a condition function"),
            )),
        }
    }

    fn named_condition(&self, argument: &Value, path: &str) -> Result<bool> {
        let name = argument
            .as_str()
            .ok_or_else(|| StackError::invalid(path, "expects a condition name"))?;
        self.condition(name, path)
    }

    /// `Fn::Equals` compares text: `1` equals `"1"`, and `true` equals `"true"`.
    fn equals(&self, args: &[Value], path: &str) -> Result<bool> {
        let a = self.resolve(&args[0], &format!("{path}[0]"))?;
        let b = self.resolve(&args[1], &format!("{path}[1]"))?;
        Ok(comparable(a.as_ref()) == comparable(b.as_ref()))
    }

    /// Every operand evaluated, in order, so an error in any of them is reported.
    fn condition_values(&self, args: &[Value], path: &str) -> Result<Vec<bool>> {
        let mut values = Vec::with_capacity(args.len());
        for (i, item) in args.iter().enumerate() {
            values.push(self.condition_value(item, &format!("{path}[{i}]"))?);
        }
        Ok(values)
    }
}

/// The operands of a condition function: exactly `expected` of them, or any number.
fn condition_arguments<'v>(argument: &'v Value, expected: Option<usize>, path: &str) -> Result<&'v [Value]> {
    argument
        .as_array()
        .filter(|a| expected.is_none_or(|n| a.len() == n))
        .map(Vec::as_slice)
        .ok_or_else(|| StackError::invalid(path, "wrong arguments"))
}

fn comparable(value: Option<&Value>) -> Option<Value> {
    value.map(|v| match v {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        other => other.clone(),
    })
}
