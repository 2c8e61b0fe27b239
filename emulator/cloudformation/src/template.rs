//! The template as loaded: JSON with typed access to its sections and resources. Nothing here
//! is resolved; see [`crate::intrinsics`].

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::StackError;

/// One entry of `Resources`.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Its key in `Resources`, e.g. `JobsQueue`.
    pub logical_id: String,
    /// `Type`, e.g. `AWS::SQS::Queue`.
    pub kind: String,
    /// `Properties` (empty when absent), unresolved.
    pub properties: Map<String, Value>,
    /// `Condition`: the name of a condition that must be true for the resource to exist.
    pub condition: Option<String>,
    /// `Metadata` (empty when absent).
    pub metadata: Map<String, Value>,
}

impl Resource {
    /// A metadata entry that is a string, e.g. `wsflow:binary`.
    pub fn metadata_str(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(Value::as_str)
    }
}

/// A CloudFormation template (JSON form).
#[derive(Debug, Clone)]
pub struct Template {
    /// Resources by logical id (sorted).
    pub resources: BTreeMap<String, Resource>,
    /// `Parameters`: declarations by name (`Type`, `Default`, …).
    pub parameters: Map<String, Value>,
    /// `Conditions`: condition expressions by name.
    pub conditions: Map<String, Value>,
    /// `Mappings`, which `Fn::FindInMap` reads: map → top-level key → second-level key → value.
    pub mappings: Map<String, Value>,
    /// `Outputs`: declarations by name (`Value`, `Condition`, `Export`, …).
    pub outputs: Map<String, Value>,
}

impl Template {
    /// Reads a template file: CloudFormation JSON, or YAML and SAM through
    /// [`LocalEnv::python`](crate::LocalEnv::python) (see [`crate::prepare`]).
    pub fn read(path: &Path, env: &crate::LocalEnv) -> Result<Template, StackError> {
        Template::from_json(&crate::prepare::read(path, env)?)
    }

    /// Reads a template already parsed as JSON; only its top-level shape is checked.
    pub fn from_json(json: &Value) -> Result<Template, StackError> {
        let root = json
            .as_object()
            .ok_or_else(|| StackError::invalid("(template)", "a template is a JSON object"))?;
        let section = |name: &str| -> Result<Map<String, Value>, StackError> {
            match root.get(name) {
                None => Ok(Map::new()),
                Some(Value::Object(map)) => Ok(map.clone()),
                Some(_) => Err(StackError::invalid(name, "must be an object")),
            }
        };
        let mut resources = BTreeMap::new();
        for (logical_id, body) in section("Resources")? {
            let path = format!("Resources.{logical_id}");
            let body = body
                .as_object()
                .ok_or_else(|| StackError::invalid(&path, "a resource is an object"))?;
            let kind = body
                .get("Type")
                .and_then(Value::as_str)
                .ok_or_else(|| StackError::invalid(&path, "has no string `Type`"))?
                .to_owned();
            let object = |key: &str| -> Result<Map<String, Value>, StackError> {
                match body.get(key) {
                    None | Some(Value::Null) => Ok(Map::new()),
                    Some(Value::Object(map)) => Ok(map.clone()),
                    Some(_) => Err(StackError::invalid(format!("{path}.{key}"), "must be an object")),
                }
            };
            let condition = match body.get("Condition") {
                None => None,
                Some(Value::String(name)) => Some(name.clone()),
                Some(_) => {
                    return Err(StackError::invalid(
                        format!("{path}.Condition"),
                        "must be the name of a condition",
                    ))
                }
            };
            resources.insert(
                logical_id.clone(),
                Resource {
                    properties: object("Properties")?,
                    metadata: object("Metadata")?,
                    logical_id,
                    kind,
                    condition,
                },
            );
        }
        Ok(Template {
            resources,
            parameters: section("Parameters")?,
            conditions: section("Conditions")?,
            mappings: section("Mappings")?,
            outputs: section("Outputs")?,
        })
    }

    /// The resources of one type, in logical-id order.
    pub fn resources_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.values().filter(move |r| r.kind == kind)
    }
}
