//! Worker configuration from environment variables, with errors that name the variable.

use std::time::Duration;

/// What a worker (the Lambda queue worker or `wsflow worker`) needs to know: its tables, queues
/// and endpoint, and how much it does at once. Values are trimmed; URLs lose a trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// `CONNECTIONS_TABLE`: the DynamoDB table of connection records and subscriptions.
    pub connections_table: String,
    /// `RESULTS_TABLE`: the DynamoDB table `store` jobs write to.
    pub results_table: String,
    /// `IDEMPOTENCY_TABLE`: the DynamoDB table of idempotency records.
    pub idempotency_table: String,
    /// `DLQ_URL`: the SQS queue permanently failed jobs are forwarded to.
    pub dlq_url: String,
    /// `CALLBACK_URL`: the `@connections` endpoint,
    /// `https://{api}.execute-api.{region}.amazonaws.com/{stage}`.
    pub callback_url: String,
    /// `GROUP_CONCURRENCY` (1 to 100, default 10): message groups of a batch processed at once.
    pub group_concurrency: usize,
    /// `BROADCAST_FANOUT` (1 to 256, default 16): concurrent posts of one broadcast.
    pub broadcast_fanout: usize,
    /// `IDEMPOTENCY_TTL_SECONDS` (60 s to 365 days, default 1 day): how long a job's idempotency
    /// record is kept, hence how long a redelivery or a repeated send is recognised.
    pub idempotency_ttl: Duration,
    /// `IDEMPOTENCY_LOCK_SECONDS` (1 s to 12 h, default 30 s): how long a claim blocks other
    /// deliveries of the same job at least; in Lambda a claim also lasts until the invocation's
    /// deadline, so a job still running then is never run twice. Keep it below the queue's
    /// visibility timeout so a crashed attempt does not block the redelivery.
    pub idempotency_lock: Duration,
}

/// A missing or invalid environment variable; it reads `configuration error: {var} {problem}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {var} {problem}")]
pub struct ConfigError {
    /// The variable at fault, such as `DLQ_URL`.
    pub var: &'static str,
    /// What is wrong with it, such as `is not set`.
    pub problem: String,
}

impl WorkerConfig {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        Ok(WorkerConfig {
            connections_table: env.required("CONNECTIONS_TABLE")?,
            results_table: env.required("RESULTS_TABLE")?,
            idempotency_table: env.required("IDEMPOTENCY_TABLE")?,
            dlq_url: env.url("DLQ_URL")?,
            callback_url: env.url("CALLBACK_URL")?,
            group_concurrency: env.number("GROUP_CONCURRENCY", 10, 1..=100)?,
            broadcast_fanout: env.number("BROADCAST_FANOUT", 16, 1..=256)?,
            idempotency_ttl: Duration::from_secs(env.number(
                "IDEMPOTENCY_TTL_SECONDS",
                86_400,
                60..=31_536_000,
            )? as u64),
            idempotency_lock: Duration::from_secs(
                env.number("IDEMPOTENCY_LOCK_SECONDS", 30, 1..=43_200)? as u64
            ),
        })
    }
}

struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    fn required(&self, var: &'static str) -> Result<String, ConfigError> {
        match (self.0)(var) {
            Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
            Some(_) => Err(problem(var, "is empty")),
            None => Err(problem(var, "is not set")),
        }
    }

    fn url(&self, var: &'static str) -> Result<String, ConfigError> {
        let value = self.required(var)?;
        if !(value.starts_with("https://") || value.starts_with("http://")) {
            return Err(problem(var, format!("must be an http(s) URL, got `{value}`")));
        }
        Ok(value.trim_end_matches('/').to_owned())
    }

    fn number(
        &self,
        var: &'static str,
        default: usize,
        range: std::ops::RangeInclusive<usize>,
    ) -> Result<usize, ConfigError> {
        let Some(raw) = (self.0)(var) else {
            return Ok(default);
        };
        match raw.trim().parse::<usize>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(problem(
                var,
                format!(
                    "must be an integer from {} to {}, got `{raw}`",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }
}

impl ConfigError {
    /// An error blaming `var` for `problem`.
    pub fn new(var: &'static str, problem: impl Into<String>) -> ConfigError {
        ConfigError {
            var,
            problem: problem.into(),
        }
    }
}

fn problem(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::new(var, problem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn complete() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("CONNECTIONS_TABLE", "conns"),
            ("RESULTS_TABLE", "results"),
            ("IDEMPOTENCY_TABLE", "idem"),
            ("DLQ_URL", "http://localhost:4566/000000000000/jobs-dlq.fifo"),
            (
                "CALLBACK_URL",
                "https://abc.execute-api.us-east-1.amazonaws.com/api/",
            ),
        ])
    }

    fn load(vars: &HashMap<&'static str, &'static str>) -> Result<WorkerConfig, ConfigError> {
        WorkerConfig::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn complete_environment_loads_with_defaults() {
        let config = load(&complete()).unwrap();
        assert_eq!(
            config.callback_url,
            "https://abc.execute-api.us-east-1.amazonaws.com/api"
        );
        assert_eq!(config.group_concurrency, 10);
        assert_eq!(config.idempotency_lock, Duration::from_secs(30));
    }

    #[test]
    fn each_problem_names_its_variable() {
        let cases: [(&str, Option<&str>, &str); 5] = [
            ("RESULTS_TABLE", None, "RESULTS_TABLE is not set"),
            ("CONNECTIONS_TABLE", Some("  "), "CONNECTIONS_TABLE is empty"),
            (
                "CALLBACK_URL",
                Some("wss://x"),
                "CALLBACK_URL must be an http(s) URL",
            ),
            (
                "GROUP_CONCURRENCY",
                Some("0"),
                "GROUP_CONCURRENCY must be an integer from 1 to 100",
            ),
            (
                "IDEMPOTENCY_TTL_SECONDS",
                Some("soon"),
                "IDEMPOTENCY_TTL_SECONDS must be an integer",
            ),
        ];
        for (var, value, expected) in cases {
            let mut vars = complete();
            match value {
                Some(v) => vars.insert(var, v),
                None => vars.remove(var),
            };
            let err = load(&vars).unwrap_err();
            assert_eq!(err.var, var);
            assert!(err.to_string().contains(expected), "{err}");
        }
    }
}
