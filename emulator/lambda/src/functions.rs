//! The template's Lambda functions, run as local processes on their runtimes.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use wsflow_cloudformation::{Function, LocalEnv};

use crate::pool::Pool;
use crate::runtimes::{execution_env, Launch, Runtimes};
use crate::{FunctionError, FunctionSpec, InvokeError};

/// Every function of the stack by logical id: a pool of processes, or why it cannot run.
pub struct LocalFunctions {
    functions: BTreeMap<String, Runnable>,
}

enum Runnable {
    Pool(Box<Pool>),
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
    /// The runtimes the functions run on.
    pub runtimes: &'a Runtimes,
    /// The most processes, hence concurrent invocations, each function may have.
    pub concurrency: usize,
}

impl LocalFunctions {
    /// Starts one process of every function that can run here; the others are reported.
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
                    (Runnable::Pool(Box::new(pool)), state)
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
    let launch = host.runtimes.launch(function)?;
    Ok(FunctionSpec {
        name: function.name.clone(),
        env: environment(function, &launch, host.env),
        launch,
        timeout: Duration::from_secs(function.timeout_s),
    })
}

/// The template's variables (already pointing at the local gateway), the variables Lambda
/// defines for every function ("Defined runtime environment variables", Lambda developer
/// guide), the runtime's search paths, and what the AWS SDKs need to reach the local backend.
/// Template variables cannot override Lambda's, as Lambda refuses reserved keys. A `RUST_LOG`
/// of the developer's wins over the template's, so logs can be turned up without editing it.
fn environment(function: &Function, launch: &Launch, env: &LocalEnv) -> BTreeMap<String, String> {
    let mut vars = function.env.clone();
    vars.extend(launch.env.clone());
    let memory = function.memory_mb.to_string();
    let log_group = format!("/aws/lambda/{}", function.name);
    let task_root = launch.task_root.display().to_string();
    let defined = [
        ("AWS_LAMBDA_FUNCTION_NAME", function.name.as_str()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory.as_str()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", log_group.as_str()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "local/[$LATEST]wsflow-dev"),
        ("_HANDLER", function.handler.as_deref().unwrap_or_default()),
        ("LAMBDA_TASK_ROOT", task_root.as_str()),
        ("LAMBDA_RUNTIME_DIR", task_root.as_str()),
        ("TZ", ":UTC"),
        ("LANG", "en_US.UTF-8"),
        ("AWS_ENDPOINT_URL", env.backend_endpoint.as_str()),
        ("AWS_REGION", env.region.as_str()),
        ("AWS_DEFAULT_REGION", env.region.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_SESSION_TOKEN", "test"),
    ];
    for (name, value) in defined {
        vars.insert(name.to_owned(), value.to_owned());
    }
    if let Some(execution) = execution_env(function.runtime.as_deref()) {
        vars.insert("AWS_EXECUTION_ENV".to_owned(), execution);
    }
    if let Ok(filter) = std::env::var("RUST_LOG") {
        vars.insert("RUST_LOG".to_owned(), filter);
    }
    vars
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use wsflow_cloudformation::FunctionCode;

    use super::*;

    fn function(binary: Option<&str>) -> Function {
        Function {
            logical_id: "WorkerFn".into(),
            name: "wsflow-WorkerFn".into(),
            arn: "arn:aws:lambda:us-east-1:123456789012:function:wsflow-WorkerFn".into(),
            binary: binary.map(str::to_owned),
            manifest: None,
            env: BTreeMap::from([
                ("TABLE".into(), "t".into()),
                ("AWS_REGION".into(), "mars-1".into()),
            ]),
            timeout_s: 7,
            memory_mb: 256,
            architecture: "arm64".into(),
            handler: Some("bootstrap".into()),
            runtime: Some("provided.al2023".into()),
            code: FunctionCode::Remote,
        }
    }

    fn runtimes() -> Runtimes {
        Runtimes {
            binaries: PathBuf::from("/nonexistent"),
            inline_root: std::env::temp_dir(),
            ..Runtimes::default()
        }
    }

    fn host<'a>(env: &'a LocalEnv, runtimes: &'a Runtimes) -> FunctionHost<'a> {
        FunctionHost {
            env,
            runtimes,
            concurrency: 1,
        }
    }

    #[test]
    fn a_function_without_code_or_whose_binary_is_missing_cannot_run() {
        let (env, runtimes) = (LocalEnv::default(), runtimes());
        let host = host(&env, &runtimes);
        let remote = spec(&function(None), &host).unwrap_err();
        assert!(remote.contains("S3"), "{remote}");
        let missing = spec(&function(Some("worker")), &host).unwrap_err();
        assert!(missing.contains("/nonexistent/worker is missing"), "{missing}");
    }

    #[test]
    fn the_environment_is_lambdas_and_points_the_sdks_at_the_backend() {
        let env = LocalEnv::new("http://127.0.0.1:4999", "http://127.0.0.1:8080");
        let launch = Launch {
            program: PathBuf::from("/code/bootstrap"),
            args: Vec::new(),
            task_root: PathBuf::from("/code"),
            env: BTreeMap::new(),
        };
        let vars = environment(&function(None), &launch, &env);
        assert_eq!(vars["TABLE"], "t");
        assert_eq!(vars["AWS_ENDPOINT_URL"], "http://127.0.0.1:4999");
        // Lambda refuses reserved keys in a template; the platform's value holds.
        assert_eq!(vars["AWS_REGION"], "us-east-1");
        assert_eq!(vars["AWS_ACCESS_KEY_ID"], "test");
        assert_eq!(vars["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
        assert_eq!(vars["_HANDLER"], "bootstrap");
        assert_eq!(vars["LAMBDA_TASK_ROOT"], "/code");
        assert!(
            !vars.contains_key("AWS_EXECUTION_ENV"),
            "custom runtimes have none"
        );
    }

    #[tokio::test]
    async fn invoking_a_function_that_cannot_run_says_why() {
        let (env, runtimes) = (LocalEnv::default(), runtimes());
        let host = host(&env, &runtimes);
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
