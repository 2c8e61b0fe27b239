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

/// The SDK configuration from the standard chain, with a 3 s connect timeout, the retries of
/// `retries` and their per-attempt timeout.
pub async fn load(retries: Retries) -> SdkConfig {
    loader(retries).load().await
}

/// The configured loader, for callers that add overrides (endpoint, region) before loading.
pub fn loader(retries: Retries) -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeout_config(retries))
        .retry_config(retry_config(retries))
}

/// A 3 s connect timeout and a per-attempt timeout: 5 s for [`Retries::Caller`], so the
/// worker's budget per port call (3 attempts, plus under 0.2 s of backoff) stays well inside its
/// 30 s function timeout; 25 s for [`Retries::Sdk`], whose calls (long polls, large batches) may
/// be slow.
pub fn timeout_config(retries: Retries) -> TimeoutConfig {
    let attempt = match retries {
        Retries::Sdk => Duration::from_secs(25),
        Retries::Caller => Duration::from_secs(5),
    };
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(attempt)
        .build()
}

/// The SDK's standard retry strategy for [`Retries::Sdk`], none for [`Retries::Caller`].
pub fn retry_config(retries: Retries) -> RetryConfig {
    match retries {
        Retries::Sdk => RetryConfig::standard(),
        Retries::Caller => RetryConfig::disabled(),
    }
}
