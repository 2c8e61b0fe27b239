//! A latency histogram as a small self-contained SVG under target/bench-report/.

use std::fmt::Write as _;
use std::time::Duration;

const BINS: usize = 30;
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 240.0;

pub fn write_svg(file: &str, title: &str, samples: &[Duration]) -> anyhow::Result<()> {
    let ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    let max = ms.iter().cloned().fold(0.0_f64, f64::max).max(1e-9);
    let mut counts = [0usize; BINS];
    for value in &ms {
        counts[((value / max) * (BINS - 1) as f64).round() as usize] += 1;
    }
    let tallest = *counts.iter().max().unwrap_or(&1) as f64;
    let bar = WIDTH / BINS as f64;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{}" font-family="sans-serif" font-size="12"><text x="4" y="14">{title} - {} samples, max {max:.1} ms</text>"#,
        HEIGHT + 40.0,
        ms.len()
    );
    for (i, count) in counts.iter().enumerate() {
        let h = *count as f64 / tallest * HEIGHT;
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="#4a7ebb"/>"##,
            i as f64 * bar,
            20.0 + HEIGHT - h,
            bar - 1.0
        );
    }
    let _ = write!(
        svg,
        r#"<text x="0" y="{}">0 ms</text><text x="{}" y="{}" text-anchor="end">{max:.1} ms</text></svg>"#,
        HEIGHT + 36.0,
        WIDTH,
        HEIGHT + 36.0
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-report");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(file), svg)?;
    Ok(())
}
