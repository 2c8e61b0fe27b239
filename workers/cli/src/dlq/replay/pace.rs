//! `--rate N/s`: spacing the deliveries so a replay does not flood the target's consumers.

use tokio::time::{Duration, Instant};

use crate::dlq::hold::BATCH;

/// Messages gathered from several receives before a send, when no rate limits the run.
const GATHER: usize = 10 * BATCH;

/// Parses `50`, `50/s` or `0.5/s`.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let number = text.strip_suffix("/s").unwrap_or(text);
    match number.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "`{text}` is not a rate; expected messages per second such as 50/s or 0.5"
        )),
    }
}

pub struct Pace {
    rate: Option<f64>,
    started: Instant,
    delivered: usize,
}

impl Pace {
    pub fn new(rate: Option<f64>) -> Pace {
        Pace {
            rate,
            started: Instant::now(),
            delivered: 0,
        }
    }

    /// Messages to take per receive: at low rates less than a batch, so that a batch in hand
    /// never waits longer than about a second for its turn.
    /// How many messages to gather before sending: up to ten receives' worth without a rate,
    /// so that batches can span many groups (a batch holds one message per group).
    pub fn batch(&self) -> usize {
        match self.rate {
            Some(rate) => (rate.floor() as usize).clamp(1, BATCH),
            None => GATHER,
        }
    }

    /// When the next batch may go, if the rate is limited.
    pub fn next_at(&self) -> Option<Instant> {
        self.rate
            .map(|rate| self.started + Duration::from_secs_f64(self.delivered as f64 / rate))
    }

    pub fn delivered(&mut self, count: usize) {
        self.delivered += count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_with_or_without_the_unit() {
        assert_eq!(parse_rate("50/s"), Ok(50.0));
        assert_eq!(parse_rate("0.5"), Ok(0.5));
        for bad in ["0", "-1/s", "fast", "inf"] {
            assert!(parse_rate(bad).unwrap_err().contains(bad));
        }
    }

    #[test]
    fn batches_shrink_at_low_rates_and_deliveries_push_the_next_slot() {
        let mut pace = Pace::new(Some(4.0));
        assert_eq!(pace.batch(), 4);
        let start = pace.next_at().unwrap();
        pace.delivered(4);
        assert_eq!(pace.next_at().unwrap() - start, Duration::from_secs(1));
        assert_eq!(Pace::new(None).batch(), GATHER);
        assert_eq!(Pace::new(None).next_at(), None);
    }
}
