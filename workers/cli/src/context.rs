//! What every command shares: SDK configuration and the output style.

use aws_config::{Region, SdkConfig};
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
        Context {
            sdk: loader.load().await,
            json,
        }
    }

    /// The queue worker's batch processor, configured from the Lambda's environment variables.
    /// Its ports retry by the worker's own policy, so the SDK must not retry as well.
    pub fn worker_processor(&self) -> anyhow::Result<BatchProcessor> {
        let config = WorkerConfig::from_env()?;
        let sdk = self
            .sdk
            .to_builder()
            .retry_config(wsflow_aws::sdk::retry_config(Retries::Caller))
            .build();
        Ok(wsflow_aws::processor(&sdk, &config, RetryPolicy::default()))
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk)
    }

    /// Prints `value` as one JSON line with `--json`, else the human text.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            println!("{}", serde_json::to_string(value).expect("output serializes"));
        } else {
            println!("{}", human());
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
