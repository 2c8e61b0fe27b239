//! Throttling as API Gateway does it: token buckets per route (the stage's default route
//! settings, overridden per route) and per API key (its usage plan), and usage plan quotas.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use wsflow_cloudformation::Stage;

/// API Gateway's answer to a throttled request.
pub const TOO_MANY_REQUESTS: &str = "Too Many Requests";

/// `rate` tokens per second into a bucket of `burst` tokens; each request takes one. It starts
/// full. A burst of 0 refuses everything, as it does in API Gateway.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    pub fn new(rate: f64, burst: u32) -> TokenBucket {
        let burst = f64::from(burst);
        TokenBucket {
            rate: rate.max(0.0),
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Takes a token; false when the bucket is empty (the request is throttled).
    pub fn try_take(&self) -> bool {
        let mut state = self.state.lock().unwrap();
        let (tokens, since) = &mut *state;
        let now = Instant::now();
        *tokens = (*tokens + now.duration_since(*since).as_secs_f64() * self.rate).min(self.burst);
        *since = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// At most `limit` requests per period. Periods start when the gateway does, not on calendar
/// boundaries as in API Gateway: local sessions are far shorter than a day.
#[derive(Debug)]
pub struct QuotaCounter {
    limit: u64,
    period: Duration,
    state: Mutex<(u64, Instant)>,
}

impl QuotaCounter {
    /// `period` is a usage plan's `DAY`, `WEEK` or `MONTH` (30 days); anything else is a day.
    pub fn new(limit: u64, period: &str) -> QuotaCounter {
        let days = match period {
            "WEEK" => 7,
            "MONTH" => 30,
            _ => 1,
        };
        QuotaCounter {
            limit,
            period: Duration::from_secs(days * 24 * 60 * 60),
            state: Mutex::new((0, Instant::now())),
        }
    }

    /// Counts a request; false when the period's limit is already reached.
    pub fn try_count(&self) -> bool {
        let mut state = self.state.lock().unwrap();
        let (count, started) = &mut *state;
        if started.elapsed() >= self.period {
            *count = 0;
            *started = Instant::now();
        }
        if *count >= self.limit {
            return false;
        }
        *count += 1;
        true
    }
}

/// One bucket per route that has limits.
#[derive(Debug, Default)]
pub struct RouteThrottles {
    buckets: HashMap<String, TokenBucket>,
}

impl RouteThrottles {
    /// A route's own `RouteSettings` win, setting by setting, over `DefaultRouteSettings`; a
    /// route with neither rate nor burst is not throttled.
    pub fn new<'k>(stage: &Stage, route_keys: impl IntoIterator<Item = &'k String>) -> RouteThrottles {
        let buckets = route_keys
            .into_iter()
            .filter_map(|key| {
                let (rate, burst) = stage.route_settings.get(key).copied().unwrap_or_default();
                let rate = rate.or(stage.throttling_rate);
                let burst = burst.or(stage.throttling_burst);
                if rate.is_none() && burst.is_none() {
                    return None;
                }
                // One limit alone: the other does not constrain.
                let rate = rate.unwrap_or(f64::INFINITY);
                let burst = burst.unwrap_or(u32::MAX);
                Some((key.clone(), TokenBucket::new(rate, burst)))
            })
            .collect();
        RouteThrottles { buckets }
    }

    /// False when the route's bucket is empty.
    pub fn admit(&self, route_key: &str) -> bool {
        self.buckets.get(route_key).is_none_or(TokenBucket::try_take)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    type Limits = (Option<f64>, Option<u32>);

    fn stage(default: Limits, routes: &[(&str, Limits)]) -> Stage {
        Stage {
            name: "api".into(),
            throttling_rate: default.0,
            throttling_burst: default.1,
            route_settings: routes.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            variables: BTreeMap::new(),
        }
    }

    fn admitted(throttles: &RouteThrottles, route: &str, attempts: usize) -> usize {
        (0..attempts).filter(|_| throttles.admit(route)).count()
    }

    #[test]
    fn a_burst_passes_and_the_rest_is_throttled() {
        let bucket = TokenBucket::new(0.001, 3);
        assert_eq!((0..10).filter(|_| bucket.try_take()).count(), 3);
    }

    #[test]
    fn tokens_come_back_at_the_rate() {
        let bucket = TokenBucket::new(1000.0, 1);
        assert!(bucket.try_take());
        let until = Instant::now() + Duration::from_secs(1);
        while !bucket.try_take() {
            assert!(
                Instant::now() < until,
                "no token came back within a second at 1000/s"
            );
        }
    }

    #[test]
    fn a_zero_burst_refuses_everything() {
        assert!(!TokenBucket::new(100.0, 0).try_take());
    }

    #[test]
    fn route_settings_override_the_stage_default_one_by_one() {
        let routes = ["a".to_string(), "b".to_string(), "c".to_string()];
        let stage = stage(
            (Some(0.001), Some(5)),
            &[("b", (None, Some(2))), ("c", (Some(0.001), Some(1)))],
        );
        let throttles = RouteThrottles::new(&stage, &routes);
        assert_eq!(admitted(&throttles, "a", 10), 5);
        assert_eq!(admitted(&throttles, "b", 10), 2);
        assert_eq!(admitted(&throttles, "c", 10), 1);
        assert_eq!(admitted(&throttles, "unknown", 10), 10);
    }

    #[test]
    fn routes_without_limits_are_not_throttled() {
        let routes = ["a".to_string()];
        let throttles = RouteThrottles::new(&stage((None, None), &[]), &routes);
        assert_eq!(admitted(&throttles, "a", 1000), 1000);
    }

    #[test]
    fn a_quota_counts_to_its_limit() {
        let quota = QuotaCounter::new(3, "DAY");
        assert_eq!((0..5).filter(|_| quota.try_count()).count(), 3);
    }
}
