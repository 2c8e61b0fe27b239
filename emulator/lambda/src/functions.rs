//! The template's Lambda functions, run as local processes of their real binaries.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::FunctionError;
use crate::{FunctionSpec, InvokeError};
use async_trait::async_trait;
use serde_json::Value;
use wsflow_cloudformation::{Function, LocalEnv};

use crate::pool::Pool;

/// Every function of the stack by logical id: a pool of processes, or why it cannot run.
pub struct LocalFunctions {
    functions: BTreeMap<String, Runnable>,
}

enum Runnable {
    Pool(Pool),
    /// Why the function cannot run locally; every invocation fails with this.
    Not(String),
}

/// How a function fared at startup, for the startup report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionStatus {
    /// The function's logical id in the template.
    pub logical_id: String,
    /// The function's name (`FunctionName`, or one derived from the logical id).
    pub name: String,
    /// The process's cold start, or why the function cannot run.
    pub state: Result<Duration, String>,
}

/// Where the functions run and how many processes each may have.
pub struct FunctionHost<'a> {
    /// The local environment: the backend endpoint and region given to every function.
    pub env: &'a LocalEnv,
    /// The directory holding the functions' binaries (the template's `wsflow:binary` names).
    pub binaries: &'a Path,
    /// The most processes, hence concurrent invocations, each function may have.
    pub concurrency: usize,
}

impl LocalFunctions {
    /// Starts one process of every function that has a binary; the others are reported.
    pub async fn start(
        functions: &[Function],
        host: &FunctionHost<'_>,
    ) -> (LocalFunctions, Vec<FunctionStatus>) {
        let mut runnable = BTreeMap::new();
        let mut statuses = Vec::new();
        for function in functions {
            let (entry, state) = match spec(function, host) {
                Ok(spec) => {
                    let pool = Pool::new(spec, host.concurrency);
                    let state = pool.warm().await;
                    (Runnable::Pool(pool), state)
                }
                Err(reason) => (Runnable::Not(reason.clone()), Err(reason)),
            };
            statuses.push(FunctionStatus {
                logical_id: function.logical_id.clone(),
                name: function.name.clone(),
                state,
            });
            runnable.insert(function.logical_id.clone(), entry);
        }
        (LocalFunctions { functions: runnable }, statuses)
    }

    /// Stops every pool (see [`Pool::stop`]).
    pub fn stop(&self) {
        for function in self.functions.values() {
            if let Runnable::Pool(pool) = function {
                pool.stop();
            }
        }
    }
}

#[async_trait]
impl crate::Functions for LocalFunctions {
    async fn invoke(&self, function: &str, event: &Value) -> Result<Value, FunctionError> {
        match self.functions.get(function) {
            Some(Runnable::Pool(pool)) => pool.invoke(event).await.map_err(|error| match error {
                InvokeError::Function { error_type, message } => {
                    FunctionError::Handler { error_type, message }
                }
                other => FunctionError::Failed(other.to_string()),
            }),
            Some(Runnable::Not(reason)) => Err(FunctionError::Failed(format!(
                "function {function} cannot run locally: {reason}"
            ))),
            None => Err(FunctionError::Failed(format!(
                "function {function} is not in the template"
            ))),
        }
    }
}

/// The process specification of `function`, or why it has none.
fn spec(function: &Function, host: &FunctionHost<'_>) -> Result<FunctionSpec, String> {
    let binary = function
        .binary
        .as_ref()
        .ok_or("the template names no binary for it (metadata `wsflow:binary`)")?;
    let path = host.binaries.join(binary);
    if !path.is_file() {
        return Err(format!(
            "{} is missing: build it (`cargo build --release --bin {binary}`) or point --bin-dir at it",
            path.display()
        ));
    }
    Ok(FunctionSpec {
        name: function.name.clone(),
        binary: path,
        env: environment(function, host.env),
        timeout: Duration::from_secs(function.timeout_s),
    })
}

/// The template's variables (already pointing at the local gateway), plus what Lambda and the
/// AWS SDKs need to reach the local backend. A `RUST_LOG` of the developer's wins over the
/// template's, so logs can be turned up without editing the stack.
fn environment(function: &Function, env: &LocalEnv) -> BTreeMap<String, String> {
    let mut vars = function.env.clone();
    let platform = [
        ("AWS_ENDPOINT_URL", env.backend_endpoint.as_str()),
        ("AWS_REGION", env.region.as_str()),
        ("AWS_DEFAULT_REGION", env.region.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ];
    for (name, value) in platform {
        vars.insert(name.to_owned(), value.to_owned());
    }
    if let Ok(filter) = std::env::var("RUST_LOG") {
        vars.insert("RUST_LOG".to_owned(), filter);
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(binary: Option<&str>) -> Function {
        Function {
            logical_id: "WorkerFn".into(),
            name: "wsflow-WorkerFn".into(),
            arn: "arn:aws:lambda:us-east-1:123456789012:function:wsflow-WorkerFn".into(),
            binary: binary.map(str::to_owned),
            manifest: None,
            env: BTreeMap::from([("TABLE".into(), "t".into())]),
            timeout_s: 7,
            memory_mb: 128,
            architecture: "arm64".into(),
            handler: Some("bootstrap".into()),
            runtime: Some("provided.al2023".into()),
        }
    }

    #[test]
    fn a_function_without_a_binary_or_whose_binary_is_missing_cannot_run() {
        let env = LocalEnv::default();
        let host = FunctionHost {
            env: &env,
            binaries: Path::new("/nonexistent"),
            concurrency: 1,
        };
        let unnamed = spec(&function(None), &host).unwrap_err();
        assert!(unnamed.contains("wsflow:binary"), "{unnamed}");
        let missing = spec(&function(Some("worker")), &host).unwrap_err();
        assert!(missing.contains("/nonexistent/worker is missing"), "{missing}");
    }

    #[test]
    fn the_environment_points_the_sdks_at_the_backend() {
        let env = LocalEnv::new("http://127.0.0.1:4999", "http://127.0.0.1:8080");
        let vars = environment(&function(Some("worker")), &env);
        assert_eq!(vars["TABLE"], "t");
        assert_eq!(vars["AWS_ENDPOINT_URL"], "http://127.0.0.1:4999");
        assert_eq!(vars["AWS_REGION"], "us-east-1");
        assert_eq!(vars["AWS_ACCESS_KEY_ID"], "test");
    }

    #[tokio::test]
    async fn invoking_a_function_that_cannot_run_says_why() {
        let env = LocalEnv::default();
        let host = FunctionHost {
            env: &env,
            binaries: Path::new("/nonexistent"),
            concurrency: 1,
        };
        let (functions, statuses) = LocalFunctions::start(&[function(None)], &host).await;
        assert!(statuses[0].state.is_err());
        let error = crate::Functions::invoke(&functions, "WorkerFn", &Value::Null)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("cannot run locally"), "{error}");
        let unknown = crate::Functions::invoke(&functions, "Other", &Value::Null)
            .await
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("not in the template"), "{unknown}");
    }
}
