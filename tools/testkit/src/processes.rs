//! The project's real binaries, run against a moto server with test credentials and nothing
//! from the host's AWS configuration.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;
use wsflow_lambda::runtimes::Launch;
use wsflow_lambda::{FunctionProcess, FunctionSpec};

use crate::Moto;

/// The SDK settings every process gets: the backend, a region and placeholder credentials.
fn sdk_env(endpoint: &str) -> [(&'static str, String); 5] {
    [
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

/// A Lambda function binary behind a local Runtime API, initialised and ready for invocations.
pub async fn function(
    moto: &Moto,
    name: &str,
    binary: &str,
    env: BTreeMap<String, String>,
) -> FunctionProcess {
    let mut env = env;
    env.extend(sdk_env(moto.endpoint()).map(|(k, v)| (k.to_owned(), v)));
    let spec = FunctionSpec {
        name: name.into(),
        launch: Launch::binary(binary),
        env,
        timeout: Duration::from_secs(30),
    };
    let function = FunctionProcess::spawn(spec)
        .await
        .expect("the function process starts");
    function.ready().await.expect("the function initialises");
    function
}

/// A command-line binary aimed at a backend (`--endpoint-url`), its output captured.
pub fn command(binary: &str, endpoint: &str) -> Command {
    let mut command = Command::new(binary);
    command
        .arg("--endpoint-url")
        .arg(endpoint)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(
            sdk_env(endpoint)
                .into_iter()
                .filter(|(k, _)| *k != "AWS_ENDPOINT_URL"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}
