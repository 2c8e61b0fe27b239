//! What every command shares: SDK configuration and the output style.

use std::io::Write as _;

use aws_config::{Region, SdkConfig};
use aws_sdk_sqs::config::{Credentials, ProvideCredentials, SharedCredentialsProvider};
use serde::Serialize;
use wsflow_aws::sdk::Retries;
use wsflow_aws::WorkerConfig;
use wsflow_core::{BatchProcessor, RetryPolicy};

pub struct Context {
    pub sdk: SdkConfig,
    pub json: bool,
}

impl Context {
    pub async fn load(endpoint_url: Option<&str>, region: Option<&str>, json: bool) -> Context {
        let mut loader = wsflow_aws::sdk::loader(Retries::Sdk);
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(region) = region {
            loader = loader.region(Region::new(region.to_owned()));
        }
        let mut sdk = loader.load().await;
        if endpoint_url.is_some_and(is_local) {
            sdk = with_local_defaults(sdk).await;
        }
        Context { sdk, json }
    }

    /// The queue worker's batch processor, configured from the Lambda's environment variables.
    /// Its ports retry by the worker's own policy, so the SDK must not retry as well.
    pub fn worker_processor(&self) -> anyhow::Result<BatchProcessor> {
        let config = WorkerConfig::from_env()?;
        let sdk = self
            .sdk
            .to_builder()
            .retry_config(wsflow_aws::sdk::retry_config(Retries::Caller))
            .timeout_config(wsflow_aws::sdk::timeout_config(Retries::Caller))
            .build();
        Ok(wsflow_aws::processor(&sdk, &config, RetryPolicy::default()))
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk)
    }

    /// Prints `value` as one JSON line with `--json`, else the human text.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        let text = match self.json {
            true => serde_json::to_string(value).expect("output serializes"),
            false => human(),
        };
        match writeln!(std::io::stdout(), "{text}") {
            // A reader that stopped early (`| head`) wants no more: not the command's failure.
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                eprintln!("warning: the output could not be written: {e}");
            }
            _ => {}
        }
    }

    pub fn error(&self, error: &anyhow::Error) {
        if self.json {
            eprintln!("{}", serde_json::json!({ "error": format!("{error:#}") }));
        } else {
            eprintln!("error: {error:#}");
        }
    }
}

/// `http://127.0.0.1:…`, `http://localhost:…` or `http://[::1]:…`.
fn is_local(endpoint: &str) -> bool {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest);
    ["127.0.0.1", "localhost", "[::1]"].iter().any(|host| {
        rest.strip_prefix(host)
            .is_some_and(|tail| tail.is_empty() || tail.starts_with([':', '/']))
    })
}

/// A local backend (`wsflow dev`'s moto) checks no signature: developers need not configure
/// credentials or a region just to talk to it. Configured ones still win.
async fn with_local_defaults(sdk: SdkConfig) -> SdkConfig {
    let mut builder = sdk.to_builder();
    if sdk.region().is_none() {
        builder.set_region(Some(Region::from_static("us-east-1")));
    }
    if !has_credentials(&sdk).await {
        let placeholder = Credentials::new("local", "local", None, None, "wsflow-local-endpoint");
        builder.set_credentials_provider(Some(SharedCredentialsProvider::new(placeholder)));
    }
    builder.build()
}

async fn has_credentials(sdk: &SdkConfig) -> bool {
    match sdk.credentials_provider() {
        Some(provider) => provider.provide_credentials().await.is_ok(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_loopback_endpoints_are_local() {
        for local in [
            "http://127.0.0.1:4566",
            "http://localhost:4566/",
            "http://[::1]:4566",
            "http://localhost",
        ] {
            assert!(super::is_local(local), "{local}");
        }
        for remote in [
            "https://sqs.us-east-1.amazonaws.com",
            "http://127.0.0.10:4566",
            "http://localhost.example.com",
        ] {
            assert!(!super::is_local(remote), "{remote}");
        }
    }
}
