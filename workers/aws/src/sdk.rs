//! SDK configuration shared by every client: the standard chain (`AWS_REGION`, credentials,
//! `AWS_ENDPOINT_URL`, profiles), with timeouts so a hung endpoint becomes a transient error.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};

/// Who retries failed calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retries {
    /// The SDK's standard retry strategy (for the CLI).
    Sdk,
    /// None in the SDK: the worker's own `RetryPolicy` decides, so there is one retry budget.
    Caller,
}

/// The SDK configuration from the standard chain, with the connect (3 s) and per-attempt (25 s)
/// timeouts and the retries of `retries`.
pub async fn load(retries: Retries) -> SdkConfig {
    loader(retries).load().await
}

/// The configured loader, for callers that add overrides (endpoint, region) before loading.
pub fn loader(retries: Retries) -> ConfigLoader {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(25))
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .retry_config(retry_config(retries))
}

/// The SDK's standard retry strategy for [`Retries::Sdk`], none for [`Retries::Caller`].
pub fn retry_config(retries: Retries) -> RetryConfig {
    match retries {
        Retries::Sdk => RetryConfig::standard(),
        Retries::Caller => RetryConfig::disabled(),
    }
}
