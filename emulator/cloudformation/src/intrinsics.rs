//! The intrinsic-function resolver: turns template values into local values.
//!
//! Driven by the template alone. What a `Ref` or `Fn::GetAtt` resolves to depends only on the
//! resource's type (see [`Resolver::attribute`]); names come from the resource's explicit name
//! property or are derived from its logical id ([`Resolver::physical_name`]).
//!
//! `AWS::NoValue` is represented by `None`: an object property or array element that resolves to
//! it is removed.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::endpoints::EndpointRewriter;
use crate::error::StackError;
use crate::model::LocalEnv;
use crate::template::{Resource, Template};

type Result<T> = std::result::Result<T, StackError>;

/// Resolves values of one template for one [`LocalEnv`].
pub struct Resolver<'t> {
    template: &'t Template,
    env: &'t LocalEnv,
    conditions: RefCell<BTreeMap<String, bool>>,
    names: RefCell<BTreeMap<String, String>>,
    /// Logical ids (and condition names) being resolved right now, for cycle detection.
    in_progress: RefCell<Vec<String>>,
    warnings: RefCell<Vec<String>>,
}

impl<'t> Resolver<'t> {
    pub fn new(template: &'t Template, env: &'t LocalEnv) -> Resolver<'t> {
        Resolver {
            template,
            env,
            conditions: RefCell::default(),
            names: RefCell::default(),
            in_progress: RefCell::default(),
            warnings: RefCell::default(),
        }
    }

    pub fn template(&self) -> &'t Template {
        self.template
    }

    pub fn env(&self) -> &'t LocalEnv {
        self.env
    }

    /// Warnings collected so far (each also logged).
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.borrow().clone()
    }

    pub(crate) fn warn(&self, message: String) {
        let mut warnings = self.warnings.borrow_mut();
        if !warnings.contains(&message) {
            tracing::warn!("{message}");
            warnings.push(message);
        }
    }

    /// The rewriter for URLs of this stack's APIs and distributions.
    pub fn endpoint_rewriter(&self) -> EndpointRewriter {
        let mut hosts = vec![EndpointRewriter::api_host(&self.env.api_id, &self.env.region)];
        for distribution in self.template.resources_of("AWS::CloudFront::Distribution") {
            hosts.push(distribution_domain(&distribution.logical_id));
        }
        EndpointRewriter::new(&self.env.gateway_http, hosts)
    }

    // ---------------------------------------------------------------- values

    /// Resolves a value; `None` means `AWS::NoValue`.
    pub fn resolve(&self, value: &Value, path: &str) -> Result<Option<Value>> {
        match value {
            Value::Object(map) => {
                if map.len() == 1 {
                    let (key, argument) = map.iter().next().expect("one entry");
                    if key == "Ref" || key.starts_with("Fn::") {
                        return self.intrinsic(key, argument, &format!("{path}.{key}"));
                    }
                }
                let mut out = Map::new();
                for (key, item) in map {
                    if let Some(resolved) = self.resolve(item, &format!("{path}.{key}"))? {
                        out.insert(key.clone(), resolved);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(resolved) = self.resolve(item, &format!("{path}[{i}]"))? {
                        out.push(resolved);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            scalar => Ok(Some(scalar.clone())),
        }
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
            "Ref" => {
                let target = match argument {
                    Value::String(target) => target.clone(),
                    other => self.resolve_string(other, path)?,
                };
                self.reference(&target, path)
            }
            "Fn::GetAtt" => {
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
                Ok(Some(Value::String(self.attribute(
                    &id,
                    Some(&attribute),
                    path,
                )?)))
            }
            "Fn::Sub" => self.sub(argument, path).map(|s| Some(Value::String(s))),
            "Fn::Join" => {
                let args = argument
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or_else(|| StackError::invalid(path, "expects [delimiter, [values]]"))?;
                let delimiter = self.resolve_string(&args[0], &format!("{path}[0]"))?;
                let list = self.resolve_list(&args[1], &format!("{path}[1]"))?;
                let parts = list
                    .iter()
                    .enumerate()
                    .map(|(i, v)| scalar_string(v, &format!("{path}[1][{i}]")))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Some(Value::String(parts.join(&delimiter))))
            }
            "Fn::Select" => {
                let args = argument
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or_else(|| StackError::invalid(path, "expects [index, [values]]"))?;
                let index_value = self.resolve_required(&args[0], &format!("{path}[0]"))?;
                let index = scalar_string(&index_value, &format!("{path}[0]"))?
                    .parse::<usize>()
                    .map_err(|_| {
                        StackError::invalid(format!("{path}[0]"), "index is not a non-negative integer")
                    })?;
                let list = self.resolve_list(&args[1], &format!("{path}[1]"))?;
                let length = list.len();
                list.into_iter().nth(index).map(Some).ok_or_else(|| {
                    StackError::invalid(
                        path,
                        format!("index {index} is out of range (the list has {length} values)"),
                    )
                })
            }
            "Fn::Split" => {
                let args = argument
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or_else(|| StackError::invalid(path, "expects [delimiter, string]"))?;
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
            "Fn::If" => {
                let args = argument
                    .as_array()
                    .filter(|a| a.len() == 3)
                    .ok_or_else(|| StackError::invalid(path, "expects [condition, if true, if false]"))?;
                let condition = args[0]
                    .as_str()
                    .ok_or_else(|| StackError::invalid(format!("{path}[0]"), "expects a condition name"))?;
                if self.condition(condition, &format!("{path}[0]"))? {
                    self.resolve(&args[1], &format!("{path}[1]"))
                } else {
                    self.resolve(&args[2], &format!("{path}[2]"))
                }
            }
            "Fn::Base64" => {
                let text = self.resolve_string(argument, path)?;
                Ok(Some(Value::String(base64(text.as_bytes()))))
            }
            "Fn::GetAZs" => {
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
            "Fn::ImportValue" => {
                let name = self
                    .resolve_string(argument, path)
                    .unwrap_or_else(|_| argument.to_string());
                Err(StackError::ImportValue {
                    path: path.to_owned(),
                    name,
                })
            }
            "Fn::FindInMap" => {
                let args = argument.as_array().filter(|a| a.len() == 3).ok_or_else(|| {
                    StackError::invalid(path, "expects [map, top-level key, second-level key]")
                })?;
                let map = self.resolve_string(&args[0], &format!("{path}[0]"))?;
                let top = self.resolve_string(&args[1], &format!("{path}[1]"))?;
                let second = self.resolve_string(&args[2], &format!("{path}[2]"))?;
                let value = self
                    .template
                    .mappings
                    .get(&map)
                    .and_then(|m| m.get(&top))
                    .and_then(|m| m.get(&second))
                    .ok_or_else(|| {
                        StackError::invalid(path, format!("Mappings has no {map}.{top}.{second}"))
                    })?
                    .clone();
                self.resolve(&value, &format!("Mappings.{map}.{top}.{second}"))
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => {
                let mut object = Map::new();
                object.insert(name.to_owned(), argument.clone());
                Ok(Some(Value::Bool(
                    self.condition_value(&Value::Object(object), path)?,
                )))
            }
            other => Err(StackError::invalid(
                path,
                format!("the intrinsic function `{other}` is not supported in local mode"),
            )),
        }
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

    /// `Fn::Sub` in both forms.
    fn sub(&self, argument: &Value, path: &str) -> Result<String> {
        let (text, variables) = match argument {
            Value::String(text) => (text.as_str(), Map::new()),
            Value::Array(items) if items.len() == 2 => {
                let text = items[0]
                    .as_str()
                    .ok_or_else(|| StackError::invalid(format!("{path}[0]"), "expects a string"))?;
                let variables = match self.resolve_required(&items[1], &format!("{path}[1]"))? {
                    Value::Object(map) => map,
                    _ => {
                        return Err(StackError::invalid(
                            format!("{path}[1]"),
                            "expects an object of variables",
                        ))
                    }
                };
                (text, variables)
            }
            _ => {
                return Err(StackError::invalid(
                    path,
                    "expects a string or [string, {variables}]",
                ))
            }
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| StackError::invalid(path, format!("unclosed `${{` in {text:?}")))?;
            let inner = &after[..end];
            if let Some(literal) = inner.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let name = inner.trim();
                let value = if let Some(value) = variables.get(name) {
                    scalar_string(value, &format!("{path}[1].{name}"))?
                } else if let Some((id, attribute)) =
                    name.split_once('.').filter(|_| !name.starts_with("AWS::"))
                {
                    self.attribute(id, Some(attribute), path)?
                } else {
                    match self.reference(name, path)? {
                        Some(value) => scalar_string(&value, path)?,
                        None => String::new(),
                    }
                };
                out.push_str(&value);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `Ref` to a pseudo parameter, parameter or resource.
    pub fn reference(&self, target: &str, path: &str) -> Result<Option<Value>> {
        let env = self.env;
        let pseudo = match target {
            "AWS::NoValue" => return Ok(None),
            "AWS::Region" => Some(env.region.clone()),
            "AWS::AccountId" => Some(env.account.clone()),
            "AWS::Partition" => Some("aws".to_owned()),
            "AWS::StackName" => Some(env.stack_name.clone()),
            "AWS::StackId" => Some(env.stack_id()),
            "AWS::URLSuffix" => Some("amazonaws.com".to_owned()),
            "AWS::NotificationARNs" => return Ok(Some(Value::Array(Vec::new()))),
            _ => None,
        };
        if let Some(value) = pseudo {
            return Ok(Some(Value::String(value)));
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

    fn parameter(&self, name: &str, declaration: &Value, path: &str) -> Result<Value> {
        let kind = declaration
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or("String");
        let text = if let Some(value) = self.env.parameters.get(name) {
            value.clone()
        } else if let Some(default) = declaration.get("Default") {
            let default = scalar_string(default, &format!("Parameters.{name}.Default"))?;
            if kind.starts_with("AWS::SSM::Parameter::") {
                self.warn(format!(
                    "parameter {name} ({kind}) names an SSM parameter; local mode uses the name `{default}` itself as its value"
                ));
            }
            default
        } else {
            return Err(StackError::invalid(
                path,
                format!("parameter `{name}` has no Default; give it a value in LocalEnv::parameters"),
            ));
        };
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

    // ---------------------------------------------------------------- conditions

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
        let key = format!("Condition:{name}");
        self.enter(&key, path)?;
        let result = self.condition_value(expression, &format!("Conditions.{name}"));
        self.leave();
        let value = result?;
        self.conditions.borrow_mut().insert(name.to_owned(), value);
        Ok(value)
    }

    fn condition_value(&self, expression: &Value, path: &str) -> Result<bool> {
        let map = expression
            .as_object()
            .filter(|m| m.len() == 1)
            .ok_or_else(|| StackError::invalid(path, "a condition is a one-key object"))?;
        let (function, argument) = map.iter().next().expect("one entry");
        let path = format!("{path}.{function}");
        let list = |expected: Option<usize>| -> Result<&Vec<Value>> {
            argument
                .as_array()
                .filter(|a| expected.is_none_or(|n| a.len() == n))
                .ok_or_else(|| StackError::invalid(&path, "wrong arguments"))
        };
        match function.as_str() {
            "Condition" => {
                let name = argument
                    .as_str()
                    .ok_or_else(|| StackError::invalid(&path, "expects a condition name"))?;
                self.condition(name, &path)
            }
            "Fn::Equals" => {
                let args = list(Some(2))?;
                let a = self.resolve(&args[0], &format!("{path}[0]"))?;
                let b = self.resolve(&args[1], &format!("{path}[1]"))?;
                Ok(comparable(a.as_ref()) == comparable(b.as_ref()))
            }
            "Fn::Not" => {
                let args = list(Some(1))?;
                Ok(!self.condition_value(&args[0], &format!("{path}[0]"))?)
            }
            "Fn::And" | "Fn::Or" => {
                let args = list(None)?;
                let mut values = Vec::with_capacity(args.len());
                for (i, item) in args.iter().enumerate() {
                    values.push(self.condition_value(item, &format!("{path}[{i}]"))?);
                }
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

    /// Whether a resource exists: it has no `Condition`, or its condition holds.
    pub fn exists(&self, resource: &Resource) -> Result<bool> {
        match &resource.condition {
            None => Ok(true),
            Some(name) => self.condition(name, &format!("Resources.{}.Condition", resource.logical_id)),
        }
    }

    // ---------------------------------------------------------------- resources

    fn enter(&self, key: &str, path: &str) -> Result<()> {
        let mut stack = self.in_progress.borrow_mut();
        if stack.iter().any(|k| k == key) {
            let mut chain: Vec<String> = stack.clone();
            chain.push(key.to_owned());
            let start = chain.iter().position(|k| k == key).unwrap_or(0);
            return Err(StackError::Circular {
                path: path.to_owned(),
                chain: chain[start..].to_vec(),
            });
        }
        stack.push(key.to_owned());
        Ok(())
    }

    fn leave(&self) {
        self.in_progress.borrow_mut().pop();
    }

    fn resource(&self, id: &str, path: &str) -> Result<&'t Resource> {
        let resource = self
            .template
            .resources
            .get(id)
            .ok_or_else(|| StackError::UnknownLogicalId {
                path: path.to_owned(),
                id: id.to_owned(),
            })?;
        if !self.exists(resource)? {
            return Err(StackError::ConditionedOut {
                path: path.to_owned(),
                id: id.to_owned(),
                condition: resource.condition.clone().unwrap_or_default(),
            });
        }
        Ok(resource)
    }

    /// The physical name of a resource: its explicit name property if it has one, else a name
    /// derived from `{stack_name}-{logical_id}` (FIFO queues get `.fifo`).
    pub fn physical_name(&self, id: &str, path: &str) -> Result<String> {
        if let Some(name) = self.names.borrow().get(id) {
            return Ok(name.clone());
        }
        let resource = self.resource(id, path)?;
        self.enter(id, path)?;
        let result = self.compute_name(resource);
        self.leave();
        let name = result?;
        self.names.borrow_mut().insert(id.to_owned(), name.clone());
        Ok(name)
    }

    fn compute_name(&self, resource: &Resource) -> Result<String> {
        let name_property = match resource.kind.as_str() {
            "AWS::SQS::Queue" => Some("QueueName"),
            "AWS::DynamoDB::Table" => Some("TableName"),
            "AWS::StepFunctions::StateMachine" => Some("StateMachineName"),
            "AWS::Lambda::Function" => Some("FunctionName"),
            "AWS::IAM::Role" => Some("RoleName"),
            "AWS::IAM::Policy" => Some("PolicyName"),
            "AWS::Logs::LogGroup" => Some("LogGroupName"),
            "AWS::CloudFront::Function" | "AWS::ApiGatewayV2::Api" => Some("Name"),
            "AWS::ApiGatewayV2::Stage" => Some("StageName"),
            "AWS::SecretsManager::Secret" | "AWS::ApiGateway::ApiKey" => Some("Name"),
            "AWS::ApiGateway::UsagePlan" => Some("UsagePlanName"),
            _ => None,
        };
        if let Some(property) = name_property {
            if let Some(name) = self.property_string(resource, property)? {
                return Ok(name);
            }
        }
        let id = &resource.logical_id;
        Ok(match resource.kind.as_str() {
            // IAM roles and policies keep their logical id, as the resolver's ARNs promise.
            "AWS::IAM::Role"
            | "AWS::IAM::Policy"
            | "AWS::ApiGatewayV2::Api"
            | "AWS::CloudFront::Function" => id.clone(),
            "AWS::SQS::Queue" => {
                let fifo = self
                    .property(resource, "FifoQueue")?
                    .is_some_and(|v| v == Value::Bool(true) || v == "true");
                let base = truncate(
                    &format!("{}-{id}", self.env.stack_name),
                    if fifo { 75 } else { 80 },
                );
                if fifo {
                    format!("{base}.fifo")
                } else {
                    base
                }
            }
            "AWS::Lambda::Function" | "AWS::StepFunctions::StateMachine" => {
                truncate(&format!("{}-{id}", self.env.stack_name), 64)
            }
            "AWS::Logs::LogGroup" => format!("/{}/{id}", self.env.stack_name),
            _ => format!("{}-{id}", self.env.stack_name),
        })
    }

    /// What `Ref` (`attribute: None`) or `Fn::GetAtt` resolves to for a resource.
    ///
    /// | type | Ref | attributes |
    /// | --- | --- | --- |
    /// | SQS queue | URL on the backend | `Arn`, `QueueName`, `QueueUrl` |
    /// | DynamoDB table | name | `Arn`, `StreamArn` |
    /// | state machine | ARN | `Arn`, `Name`, `StateMachineRevisionId` |
    /// | Lambda function | name | `Arn` |
    /// | IAM role | name (= logical id) | `Arn`, `RoleId` |
    /// | API Gateway v2 API | `env.api_id` | `ApiEndpoint`, `ApiId` |
    /// | API Gateway v2 stage | stage name | — |
    /// | other API Gateway v2 types | logical id | `…Id` |
    /// | Secrets Manager secret | name | `Id` (name) |
    /// | API Gateway (v1) API key, usage plan | logical id | — |
    /// | WAFv2 web ACL, IP set | — | `Arn`, `Id` |
    /// | log group | name | `Arn` |
    /// | CloudFront function | ARN | `FunctionARN`, `FunctionMetadata.FunctionARN`, `Stage` |
    /// | CloudFront distribution | id | `DomainName`, `Id` |
    /// | anything else | `arn:aws:{service}:{region}:{account}:{logical}`, with a warning | same, with `/{attribute}` |
    pub fn attribute(&self, id: &str, attribute: Option<&str>, path: &str) -> Result<String> {
        let resource = self.resource(id, path)?;
        let env = self.env;
        let (region, account) = (&env.region, &env.account);
        let unknown = || StackError::UnknownAttribute {
            path: path.to_owned(),
            id: id.to_owned(),
            kind: resource.kind.clone(),
            attribute: attribute.unwrap_or("(Ref)").to_owned(),
        };
        let name = || self.physical_name(id, path);
        Ok(match (resource.kind.as_str(), attribute) {
            ("AWS::SQS::Queue", None | Some("QueueUrl")) => {
                format!(
                    "{}/{account}/{}",
                    env.backend_endpoint.trim_end_matches('/'),
                    name()?
                )
            }
            ("AWS::SQS::Queue", Some("Arn")) => format!("arn:aws:sqs:{region}:{account}:{}", name()?),
            ("AWS::SQS::Queue", Some("QueueName")) => name()?,
            ("AWS::SQS::Queue", _) => return Err(unknown()),

            ("AWS::DynamoDB::Table", None) => name()?,
            ("AWS::DynamoDB::Table", Some("Arn")) => table_arn(env, &name()?),
            ("AWS::DynamoDB::Table", Some("StreamArn")) => {
                format!("{}/stream/1970-01-01T00:00:00.000", table_arn(env, &name()?))
            }
            ("AWS::DynamoDB::Table", _) => return Err(unknown()),

            ("AWS::StepFunctions::StateMachine", None | Some("Arn")) => state_machine_arn(env, &name()?),
            ("AWS::StepFunctions::StateMachine", Some("Name")) => name()?,
            ("AWS::StepFunctions::StateMachine", Some("StateMachineRevisionId")) => {
                format!("{}:1", state_machine_arn(env, &name()?))
            }
            ("AWS::StepFunctions::StateMachine", _) => return Err(unknown()),

            ("AWS::Lambda::Function", None) => name()?,
            ("AWS::Lambda::Function", Some("Arn")) => function_arn(env, &name()?),
            ("AWS::Lambda::Function", _) => return Err(unknown()),

            ("AWS::IAM::Role", None) => name()?,
            ("AWS::IAM::Role", Some("Arn")) => format!("arn:aws:iam::{account}:role/{}", name()?),
            ("AWS::IAM::Role", Some("RoleId")) => format!("AROA{}", hash_id(id, 17).to_uppercase()),
            ("AWS::IAM::Role", _) => return Err(unknown()),
            ("AWS::IAM::Policy", None) => id.to_owned(),
            ("AWS::IAM::Policy", Some("Id")) => id.to_owned(),

            ("AWS::ApiGatewayV2::Api", None | Some("ApiId")) => env.api_id.clone(),
            ("AWS::ApiGatewayV2::Api", Some("ApiEndpoint")) => {
                let scheme = match self.property_string(resource, "ProtocolType")?.as_deref() {
                    Some("HTTP") => "https",
                    _ => "wss",
                };
                format!("{scheme}://{}", EndpointRewriter::api_host(&env.api_id, region))
            }
            ("AWS::ApiGatewayV2::Api", _) => return Err(unknown()),
            ("AWS::ApiGatewayV2::Stage", None) => name()?,
            ("AWS::ApiGatewayV2::Stage", _) => return Err(unknown()),
            (kind, None) if kind.starts_with("AWS::ApiGatewayV2::") => id.to_owned(),
            (kind, Some(attr)) if kind.starts_with("AWS::ApiGatewayV2::") && attr.ends_with("Id") => {
                id.to_owned()
            }

            // Secrets Manager takes a name wherever it takes an ARN, and a real ARN ends in a
            // random suffix nobody can predict.
            ("AWS::SecretsManager::Secret", None | Some("Id")) => name()?,
            ("AWS::SecretsManager::Secret", _) => return Err(unknown()),
            // Provisioning maps these logical ids to the ids the backend assigns.
            (kind, None) if kind.starts_with("AWS::ApiGateway::") => id.to_owned(),

            // Local mode does not evaluate WAF rules; the distribution that names them is not run.
            ("AWS::WAFv2::WebACL" | "AWS::WAFv2::IPSet", Some("Arn")) => {
                let kind = if resource.kind.ends_with("WebACL") {
                    "webacl"
                } else {
                    "ipset"
                };
                format!(
                    "arn:aws:wafv2:{region}:{account}:global/{kind}/{id}/{}",
                    uuid_like(id)
                )
            }
            ("AWS::WAFv2::WebACL" | "AWS::WAFv2::IPSet", Some("Id")) => uuid_like(id),

            ("AWS::Logs::LogGroup", None) => name()?,
            ("AWS::Logs::LogGroup", Some("Arn")) => {
                format!("arn:aws:logs:{region}:{account}:log-group:{}:*", name()?)
            }
            ("AWS::Logs::LogGroup", _) => return Err(unknown()),

            ("AWS::CloudFront::Function", None | Some("FunctionARN" | "FunctionMetadata.FunctionARN")) => {
                format!("arn:aws:cloudfront::{account}:function/{}", name()?)
            }
            ("AWS::CloudFront::Function", Some("Stage")) => "LIVE".to_owned(),
            ("AWS::CloudFront::Function", _) => return Err(unknown()),
            ("AWS::CloudFront::Distribution", None | Some("Id")) => {
                format!("E{}", hash_id(id, 13).to_uppercase())
            }
            ("AWS::CloudFront::Distribution", Some("DomainName")) => distribution_domain(id),
            ("AWS::CloudFront::Distribution", _) => return Err(unknown()),
            ("AWS::CloudFront::OriginRequestPolicy" | "AWS::CloudFront::CachePolicy", None | Some("Id")) => {
                uuid_like(id)
            }

            (kind, attribute) => {
                let service = kind.split("::").nth(1).unwrap_or("unknown").to_lowercase();
                let base = format!("arn:aws:{service}:{region}:{account}:{id}");
                let value = match attribute {
                    None => base,
                    Some(attribute) => format!("{base}/{attribute}"),
                };
                self.warn(format!(
                    "{path}: local mode does not know what {} of {id} ({kind}) is; using `{value}`",
                    attribute.map_or("Ref".to_owned(), |a| format!("attribute {a}")),
                ));
                value
            }
        })
    }
}

pub(crate) fn property_path(resource: &Resource, name: &str) -> String {
    format!("Resources.{}.Properties.{name}", resource.logical_id)
}

pub(crate) fn table_arn(env: &LocalEnv, name: &str) -> String {
    format!("arn:aws:dynamodb:{}:{}:table/{name}", env.region, env.account)
}

pub(crate) fn state_machine_arn(env: &LocalEnv, name: &str) -> String {
    format!(
        "arn:aws:states:{}:{}:stateMachine:{name}",
        env.region, env.account
    )
}

pub(crate) fn function_arn(env: &LocalEnv, name: &str) -> String {
    format!("arn:aws:lambda:{}:{}:function:{name}", env.region, env.account)
}

/// The `DomainName` of a CloudFront distribution: `d{hash}.cloudfront.net`, deterministic.
pub(crate) fn distribution_domain(id: &str) -> String {
    format!("d{}.cloudfront.net", hash_id(id, 13))
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

fn comparable(value: Option<&Value>) -> Option<Value> {
    value.map(|v| match v {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        other => other.clone(),
    })
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// FNV-1a of `text`, as `len` lowercase base-36 characters.
fn hash_id(text: &str, len: usize) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::with_capacity(len);
    let mut round = 0u8;
    while out.len() < len {
        for byte in text.bytes().chain([round]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        let mut h = hash;
        while h > 0 && out.len() < len {
            out.push(char::from_digit((h % 36) as u32, 36).expect("digit"));
            h /= 36;
        }
        round = round.wrapping_add(1);
    }
    out
}

fn uuid_like(id: &str) -> String {
    let hex: String = hash_id(id, 40)
        .bytes()
        .map(|b| char::from_digit(u32::from(b) % 16, 16).expect("digit"))
        .take(32)
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
