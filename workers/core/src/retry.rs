//! Bounded retries with full-jitter exponential backoff, for transient port errors only.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use crate::ports::PortError;

/// How often and how patiently a port call is retried. The default is 3 attempts with delays
/// drawn from 0 to 50 ms, then 0 to 100 ms (doubling, capped at 1 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first one included.
    pub attempts: u32,
    /// The longest wait before the first retry; each further retry may wait twice as long.
    pub base_delay: Duration,
    /// The cap on any wait between attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries (for tests, and callers that retry by other means).
    pub fn none() -> Self {
        RetryPolicy {
            attempts: 1,
            ..Default::default()
        }
    }

    fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1 << attempt.min(16))
            .min(self.max_delay);
        let millis = ceiling.as_millis() as u64;
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }

    /// Runs `op` until it succeeds, fails permanently, or the attempts are spent. Generic over
    /// the error so that callers wrapping `PortError` (such as `PostError`) can use it too.
    pub async fn run<T, E, F, Fut>(&self, mut op: F) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: Transience,
    {
        let mut attempt = 0;
        loop {
            match op().await {
                Err(e) if e.is_transient() && attempt + 1 < self.attempts => {
                    tracing::warn!(error = %e, attempt, "transient failure; retrying");
                    tokio::time::sleep(self.delay(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// Errors that tell whether the same call may succeed if tried again; [`RetryPolicy::run`]
/// retries only those.
pub trait Transience: std::fmt::Display {
    /// `true` when a later attempt of the same call may succeed.
    fn is_transient(&self) -> bool;
}

impl Transience for PortError {
    fn is_transient(&self) -> bool {
        matches!(self, PortError::Transient(_))
    }
}

impl Transience for crate::ports::PostError {
    fn is_transient(&self) -> bool {
        matches!(self, crate::ports::PostError::Failed(e) if e.is_transient())
    }
}
