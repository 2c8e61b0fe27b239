//! Latency histograms on one set of logarithmic buckets (1-2-5 steps from 10 µs to 10 s), so
//! servers 100 times apart fit on one plot. A series' points are (bucket's upper edge in ms,
//! share of the messages in it, in %).

use crate::report::Series;

/// Upper edges of the buckets, in milliseconds; the last bucket also holds everything slower.
pub fn edges() -> Vec<f64> {
    (-2..=4)
        .flat_map(|exponent| [1.0, 2.0, 5.0].map(|step| step * 10f64.powi(exponent)))
        .take_while(|edge| *edge <= 10_000.0)
        .collect()
}

/// The exact histogram of measured latencies (ms).
pub fn from_samples(name: &str, samples_ms: &[f64]) -> Series {
    let edges = edges();
    let mut counts = vec![0usize; edges.len()];
    for sample in samples_ms {
        let bucket = edges
            .iter()
            .position(|edge| sample <= edge)
            .unwrap_or(edges.len() - 1);
        counts[bucket] += 1;
    }
    let total = samples_ms.len().max(1) as f64;
    Series {
        name: name.into(),
        points: edges
            .into_iter()
            .zip(counts)
            .map(|(edge, count)| (edge, 100.0 * count as f64 / total))
            .collect(),
    }
}

/// The histogram of a run known only by its percentiles, as `wsload` reports them:
/// `cdf` holds (latency ms, fraction of messages at most that slow), ascending. Between two
/// known points the messages are spread evenly on the logarithmic scale.
pub fn from_percentiles(name: &str, cdf: &[(f64, f64)]) -> Series {
    let mut below = 0.0;
    let points = edges()
        .into_iter()
        .map(|edge| {
            let at = fraction_at(cdf, edge);
            let share = at - below;
            below = at;
            (edge, 100.0 * share)
        })
        .collect::<Vec<_>>();
    let mut series = Series {
        name: name.into(),
        points,
    };
    // Whatever is slower than the last edge belongs to the last bucket.
    if let Some(last) = series.points.last_mut() {
        last.1 += 100.0 * (1.0 - below);
    }
    series
}

/// The interpolated fraction of messages at most `latency` ms slow.
fn fraction_at(cdf: &[(f64, f64)], latency: f64) -> f64 {
    let log = |ms: f64| ms.max(1e-6).ln();
    let Some(upper) = cdf.iter().position(|(ms, _)| *ms >= latency) else {
        return 1.0;
    };
    if upper == 0 {
        return if cdf[0].0 <= latency { cdf[0].1 } else { 0.0 };
    }
    let ((x0, f0), (x1, f1)) = (cdf[upper - 1], cdf[upper]);
    if log(x1) <= log(x0) {
        return f1;
    }
    f0 + (f1 - f0) * (log(latency) - log(x0)) / (log(x1) - log(x0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(series: &Series) -> f64 {
        series.points.iter().map(|(_, share)| share).sum()
    }

    #[test]
    fn every_message_lands_in_one_bucket() {
        let series = from_samples("s", &[0.001, 0.3, 0.3, 7.0, 99_999.0]);
        assert!((total(&series) - 100.0).abs() < 1e-9);
        let share = |edge: f64| series.points.iter().find(|(e, _)| *e == edge).unwrap().1;
        assert_eq!(share(0.5), 40.0);
        assert_eq!(share(10_000.0), 20.0);
    }

    #[test]
    fn percentiles_spread_over_the_buckets_between_them() {
        let cdf = [(0.1, 0.0), (1.0, 0.5), (10.0, 1.0)];
        let series = from_percentiles("s", &cdf);
        assert!((total(&series) - 100.0).abs() < 1e-9);
        let below_1ms: f64 = series.points.iter().filter(|(e, _)| *e <= 1.0).map(|p| p.1).sum();
        assert!((below_1ms - 50.0).abs() < 1e-9);
    }
}
