//! Worker configuration from environment variables, with errors that name the variable.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    pub connections_table: String,
    pub results_table: String,
    pub idempotency_table: String,
    /// Where permanently failed jobs are forwarded.
    pub dlq_url: String,
    /// The `@connections` endpoint: `https://{api}.execute-api.{region}.amazonaws.com/{stage}`.
    pub callback_url: String,
    pub group_concurrency: usize,
    pub broadcast_fanout: usize,
    pub idempotency_ttl: Duration,
    /// How long a claim blocks other deliveries of the same job; keep it below the queue's
    /// visibility timeout so a crashed attempt does not block the redelivery.
    pub idempotency_lock: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {var} {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl WorkerConfig {
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
