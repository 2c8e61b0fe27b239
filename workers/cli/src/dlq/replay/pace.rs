//! `--rate N/s`: spacing the deliveries so a replay does not flood the target's consumers.

use tokio::time::{Duration, Instant};

use crate::dlq::hold::BATCH;

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

/// The run's schedule under `--rate`: each pipeline reserves its slot before it receives, so
/// pipelines running at once share the rate instead of each taking it.
pub struct Pace {
    rate: Option<f64>,
    started: Instant,
    /// Messages delivered or about to be (reserved by a pipeline).
    reserved: usize,
}

impl Pace {
    pub fn new(rate: Option<f64>) -> Pace {
        Pace {
            rate,
            started: Instant::now(),
            reserved: 0,
        }
    }

    /// Messages to take per receive: at low rates less than a batch, so that a batch in hand
    /// never waits longer than about a second for its turn.
    pub fn batch(&self) -> usize {
        match self.rate {
            Some(rate) => (rate.floor() as usize).clamp(1, BATCH),
            None => BATCH,
        }
    }

    /// Reserves `count` deliveries; returns when they may start, if the rate is limited.
    pub fn reserve(&mut self, count: usize) -> Option<Instant> {
        let at = self
            .rate
            .map(|rate| self.started + Duration::from_secs_f64(self.reserved as f64 / rate));
        self.reserved += count;
        at
    }

    /// Gives back the part of a reservation that was not delivered.
    pub fn refund(&mut self, count: usize) {
        self.reserved -= count;
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
    fn batches_shrink_at_low_rates_and_reservations_push_the_next_slot() {
        let mut pace = Pace::new(Some(4.0));
        assert_eq!(pace.batch(), 4);
        let first = pace.reserve(4).unwrap();
        let second = pace.reserve(4).unwrap();
        assert_eq!(second - first, Duration::from_secs(1));
        // Two of the second reservation were not delivered: the next slot is 1.5 s after the first.
        pace.refund(2);
        assert_eq!(pace.reserve(4).unwrap() - first, Duration::from_millis(1500));
        assert_eq!(Pace::new(None).batch(), BATCH);
        assert_eq!(Pace::new(None).reserve(10), None);
    }
}
