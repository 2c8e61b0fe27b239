//! `Ref` and `Fn::GetAtt`: pseudo parameters, template parameters, and resources (whose values
//! [`super::attributes`] knows).

use serde_json::Value;

use super::resolver::Resolver;
use super::values::scalar_string;
use crate::error::{Result, StackError};

impl Resolver<'_> {
    pub(super) fn ref_intrinsic(&self, argument: &Value, path: &str) -> Result<Option<Value>> {
        let target = match argument {
            Value::String(target) => target.clone(),
            other => self.resolve_string(other, path)?,
        };
        self.reference(&target, path)
    }

    /// `Fn::GetAtt` in both forms: `"Logical.Attribute"` and `[logical id, attribute]`.
    pub(super) fn get_att(&self, argument: &Value, path: &str) -> Result<Option<Value>> {
        let (id, attribute) = match argument {
            Value::String(text) => match text.split_once('.') {
                Some((id, attribute)) => (id.to_owned(), attribute.to_owned()),
                None => return Err(StackError::invalid(path, "expects `Logical.Attribute`")),
            },
            Value::Array(items) if items.len() == 2 => (
                self.resolve_string(&items[0], &format!("{path}[0]"))?,
                self.resolve_string(&items[1], &format!("{path}[1]"))?,
            ),
            _ => return Err(StackError::invalid(path, "expects [logical id, attribute]")),
        };
        let value = self.attribute(&id, Some(&attribute), path)?;
        Ok(Some(Value::String(value)))
    }

    /// `Ref` to a pseudo parameter, parameter or resource.
    pub fn reference(&self, target: &str, path: &str) -> Result<Option<Value>> {
        if let Some(value) = self.pseudo_parameter(target) {
            return Ok(value);
        }
        if let Some(parameter) = self.template.parameters.get(target) {
            return self.parameter(target, parameter, path).map(Some);
        }
        if self.template.resources.contains_key(target) {
            return self.attribute(target, None, path).map(|s| Some(Value::String(s)));
        }
        Err(StackError::UnknownLogicalId {
            path: path.to_owned(),
            id: target.to_owned(),
        })
    }

    /// `Some(value)` when `target` is a pseudo parameter (`Some(None)` for `AWS::NoValue`).
    fn pseudo_parameter(&self, target: &str) -> Option<Option<Value>> {
        let env = self.env;
        let text = match target {
            "AWS::NoValue" => return Some(None),
            "AWS::Region" => env.region.clone(),
            "AWS::AccountId" => env.account.clone(),
            "AWS::Partition" => "aws".to_owned(),
            "AWS::StackName" => env.stack_name.clone(),
            "AWS::StackId" => env.stack_id(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            "AWS::NotificationARNs" => return Some(Some(Value::Array(Vec::new()))),
            _ => return None,
        };
        Some(Some(Value::String(text)))
    }

    /// A template parameter: the value given in [`crate::LocalEnv::parameters`], else its
    /// `Default`; list types become arrays.
    fn parameter(&self, name: &str, declaration: &Value, path: &str) -> Result<Value> {
        let kind = declaration
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or("String");
        let text = self.parameter_text(name, kind, declaration, path)?;
        if kind.starts_with("List<") || kind == "CommaDelimitedList" || kind.contains("::List<") {
            Ok(Value::Array(
                text.split(',')
                    .map(|s| Value::String(s.trim().to_owned()))
                    .collect(),
            ))
        } else {
            Ok(Value::String(text))
        }
    }

    fn parameter_text(&self, name: &str, kind: &str, declaration: &Value, path: &str) -> Result<String> {
        if let Some(value) = self.env.parameters.get(name) {
            return Ok(value.clone());
        }
        let Some(default) = declaration.get("Default") else {
            return Err(StackError::invalid(
                path,
                format!("parameter `{name}` has no Default; give it a value in LocalEnv::parameters"),
            ));
        };
        let default = scalar_string(default, &format!("Parameters.{name}.Default"))?;
        // There is no SSM locally, so the parameter's name is the best value on offer.
        if kind.starts_with("AWS::SSM::Parameter::") {
            self.warn(format!(
                "parameter {name} ({kind}) names an SSM parameter; local mode uses the name `{default}` itself as its value"
            ));
        }
        Ok(default)
    }
}
