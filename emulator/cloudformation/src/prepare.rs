//! Templates that are not plain CloudFormation JSON: YAML (short-form tags such as `!Sub`
//! included) and SAM (`Transform: AWS::Serverless-2016-10-31`), turned into CloudFormation JSON
//! by AWS's own tools in the project venv: `samtranslator`'s YAML reader and its translator,
//! prepared as SAM CLI prepares a template (`python/prepare_template.py`).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::error::{Result, StackError};
use crate::model::LocalEnv;

const PREPARE: &str = include_str!("../python/prepare_template.py");
const SERVERLESS: &str = "AWS::Serverless-2016-10-31";

/// The template at `path` as CloudFormation JSON. Plain JSON is read here; everything else goes
/// through the venv's Python, with the stack's region and parameter values.
pub fn read(path: &Path, env: &LocalEnv) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|source| StackError::Read {
        path: path.to_owned(),
        source,
    })?;
    let json = serde_json::from_str::<Value>(&text);
    match json {
        Ok(json) if !is_serverless(&json) => Ok(json),
        _ => translate(path, env, json.err()),
    }
}

fn is_serverless(template: &Value) -> bool {
    match template.get("Transform") {
        Some(Value::String(name)) => name == SERVERLESS,
        Some(Value::Array(names)) => names.iter().any(|n| n == SERVERLESS),
        _ => false,
    }
}

fn translate(path: &Path, env: &LocalEnv, json_error: Option<serde_json::Error>) -> Result<Value> {
    let Some(python) = &env.python else {
        return Err(match json_error {
            Some(source) => StackError::Json {
                path: path.to_owned(),
                source,
            },
            None => StackError::NeedsTranslator {
                path: path.to_owned(),
            },
        });
    };
    let parameters = serde_json::to_string(&env.parameters).expect("parameters serialize");
    let output = Command::new(python)
        .arg("-c")
        .arg(PREPARE)
        .arg(path)
        .arg(&env.region)
        .arg(parameters)
        .output()
        .map_err(|source| StackError::Read {
            path: python.clone(),
            source,
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let answer: Option<Value> = serde_json::from_str(&stdout).ok();
    match answer {
        Some(Value::Object(mut fields)) if !output.status.success() => {
            let errors = fields.remove("errors").unwrap_or_default();
            let errors = errors
                .as_array()
                .map(|list| list.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            Err(StackError::Refused {
                path: path.to_owned(),
                errors,
            })
        }
        Some(template) if output.status.success() => Ok(template),
        _ => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            tracing::debug!(%stderr, "template preparation failed");
            let last = stderr.lines().last().unwrap_or("no output").to_owned();
            Err(StackError::Refused {
                path: path.to_owned(),
                errors: vec![format!("the template reader failed: {last}")],
            })
        }
    }
}
