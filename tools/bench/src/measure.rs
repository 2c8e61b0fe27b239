//! Wall-clock and CPU time of a piece of work in this process.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Cost {
    pub wall: Duration,
    pub cpu: Duration,
}

impl Cost {
    pub fn per(&self, n: usize) -> (f64, f64) {
        let us = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
        (us(self.wall), us(self.cpu))
    }
}

pub async fn cost<T>(work: impl std::future::Future<Output = T>) -> (T, Cost) {
    let cpu0 = process_cpu();
    let start = Instant::now();
    let out = work.await;
    let cost = Cost {
        wall: start.elapsed(),
        cpu: process_cpu().saturating_sub(cpu0),
    };
    (out, cost)
}

/// User + system CPU time of this process, all threads.
fn process_cpu() -> Duration {
    // SAFETY: getrusage only writes into the struct we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}
