//! The report as one self-contained HTML page: the figures' table and every plot as inline SVG,
//! drawn here from the data alone. No script, no external resource: the page's
//! Content-Security-Policy refuses any, so a fetch added by mistake shows as a console error
//! in the rendering test instead of quietly needing the network.

use std::fmt::Write as _;

use crate::report::{Figure, Kind, Plot, Report, Series};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 40.0;
const COLOURS: [&str; 6] = ["#1f6fb4", "#e3791c", "#2c9a3c", "#c8332c", "#7d56b1", "#8a5a44"];

pub fn render(report: &Report) -> String {
    let mut page = String::from(concat!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">",
        "<title>wsflow benchmark report</title><style>",
        "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}",
        "td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}td.v{text-align:right}",
        "figure{margin:2em 0}figcaption{font-weight:bold}.legend{list-style:none;padding:0}",
        ".legend li{display:inline-block;margin-right:1.5em}.swatch{display:inline-block;width:1em;",
        "height:1em;margin-right:.3em;vertical-align:middle}svg{font-size:11px}",
        "</style></head><body><h1>wsflow benchmark report</h1>\n"
    ));
    page.push_str("<p>Absolute figures depend on the machine; compare a row with the peers measured in the same run.</p>\n<h2>Plots</h2>\n");
    for plot in &report.plots {
        page.push_str(&figure(plot));
    }
    page.push_str(&table(&report.figures));
    page.push_str("</body></html>\n");
    page
}

fn table(figures: &[Figure]) -> String {
    let mut html = String::from(
        "<h2>Figures</h2>\n<table id=\"figures\"><tr><th>section</th><th>figure</th><th>value</th><th>unit</th><th>target / note</th></tr>\n",
    );
    for f in figures {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td class=\"v\">{:.2}</td><td>{}</td><td>{}</td></tr>",
            escape(&f.section),
            escape(&f.name),
            f.value,
            escape(&f.unit),
            escape(&f.note)
        );
    }
    html.push_str("</table>\n");
    html
}

/// One plot: its caption, the SVG and a legend naming each series in its colour.
fn figure(plot: &Plot) -> String {
    let mut html = format!(
        "<figure class=\"plot\" id=\"plot-{}\" data-plot=\"{}\" data-series=\"{}\"><figcaption>{}</figcaption>\n",
        escape(&plot.id),
        escape(&plot.id),
        plot.series.len(),
        escape(&plot.title)
    );
    html.push_str(&svg(plot));
    html.push('\n');
    html.push_str("<ul class=\"legend\">");
    for (index, series) in plot.series.iter().enumerate() {
        let _ = write!(
            html,
            "<li><span class=\"swatch\" style=\"background:{}\"></span>{}</li>",
            colour(index),
            escape(&series.name)
        );
    }
    html.push_str("</ul></figure>\n");
    html
}

fn svg(plot: &Plot) -> String {
    let y = YAxis::fit(plot);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\">"
    );
    svg.push_str(&y.draw(&plot.y_label));
    match plot.kind {
        Kind::Lines => lines(&mut svg, plot, &y),
        Kind::Bars => bars(&mut svg, plot, &y),
    }
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></svg>",
        LEFT + plot_width() / 2.0,
        HEIGHT - 4.0,
        escape(&plot.x_label)
    );
    svg
}

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

/// Series as polylines with a dot per point; x linear over the ticks and the data.
fn lines(svg: &mut String, plot: &Plot, y: &YAxis) {
    let xs: Vec<f64> = plot
        .x_ticks
        .iter()
        .copied()
        .chain(all_points(plot).map(|p| p.0))
        .collect();
    if xs.is_empty() {
        return;
    }
    let (low, high) = (min(&xs), max(&xs));
    let span = if high > low { high - low } else { 1.0 };
    let x = |value: f64| LEFT + (value - low) / span * plot_width();
    let ticks = if plot.x_ticks.is_empty() {
        distinct(&xs)
    } else {
        plot.x_ticks.clone()
    };
    for tick in ticks {
        x_tick(svg, x(tick), &number(tick));
    }
    for (index, series) in plot.series.iter().enumerate() {
        let _ = write!(
            svg,
            "<g class=\"series\" data-name=\"{}\" fill=\"{c}\" stroke=\"{c}\">",
            escape(&series.name),
            c = colour(index)
        );
        let path: Vec<String> = series
            .points
            .iter()
            .map(|&(px, py)| format!("{:.1},{:.1}", x(px), y.at(py)))
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        );
        for &(px, py) in &series.points {
            let _ = write!(
                svg,
                "<circle class=\"mark\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\"><title>{}: {} → {}</title></circle>",
                x(px),
                y.at(py),
                escape(&series.name),
                number(px),
                number(py)
            );
        }
        svg.push_str("</g>");
    }
}

/// Grouped bars: one group per distinct x (in ascending order), one bar per series.
fn bars(svg: &mut String, plot: &Plot, y: &YAxis) {
    // Only the buckets from the first to the last one holding anything: 19 buckets of which
    // most are empty would crowd the labels.
    let filled: Vec<f64> = all_points(plot).filter(|p| p.1 > 0.0).map(|p| p.0).collect();
    let (first, last) = (min(&filled), max(&filled));
    let xs: Vec<f64> = all_points(plot)
        .map(|p| p.0)
        .filter(|x| (first..=last).contains(x))
        .collect();
    let groups = distinct(&xs);
    let group = plot_width() / groups.len().max(1) as f64;
    let bar = group / (plot.series.len() + 1) as f64;
    let slot = |value: f64| groups.iter().position(|g| *g == value).unwrap_or(0) as f64;
    for (index, edge) in groups.iter().enumerate() {
        x_tick(svg, LEFT + (index as f64 + 0.5) * group, &number(*edge));
    }
    for (index, series) in plot.series.iter().enumerate() {
        let _ = write!(
            svg,
            "<g class=\"series\" data-name=\"{}\" fill=\"{}\">",
            escape(&series.name),
            colour(index)
        );
        for &(px, py) in series.points.iter().filter(|p| groups.contains(&p.0)) {
            let top = y.at(py);
            let _ = write!(
                svg,
                "<rect class=\"mark\" x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}: ≤{} ms, {:.1}</title></rect>",
                LEFT + slot(px) * group + (index as f64 + 0.5) * bar,
                bar,
                (TOP + plot_height() - top).max(0.0),
                escape(&series.name),
                number(px),
                py
            );
        }
        svg.push_str("</g>");
    }
}

fn x_tick(svg: &mut String, x: f64, label: &str) {
    let base = TOP + plot_height();
    let _ = write!(
        svg,
        "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{base}\" y2=\"{}\" stroke=\"#000\"/><text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        base + 4.0,
        base + 16.0,
        escape(label)
    );
}

/// The y axis: linear from 0, or logarithmic over whole decades.
struct YAxis {
    log: bool,
    low: f64,
    high: f64,
}

impl YAxis {
    fn fit(plot: &Plot) -> YAxis {
        let ys: Vec<f64> = all_points(plot).map(|p| p.1).filter(|y| y.is_finite()).collect();
        if plot.log_y {
            let positive: Vec<f64> = ys.into_iter().filter(|y| *y > 0.0).collect();
            if positive.is_empty() {
                return YAxis {
                    log: true,
                    low: 1.0,
                    high: 10.0,
                };
            }
            let low = 10f64.powf(min(&positive).log10().floor());
            let high = 10f64.powf(max(&positive).log10().ceil()).max(low * 10.0);
            return YAxis { log: true, low, high };
        }
        let high = round_up(max(&ys).max(1e-9));
        YAxis {
            log: false,
            low: 0.0,
            high,
        }
    }

    fn at(&self, value: f64) -> f64 {
        let share = if self.log {
            (value.max(self.low).log10() - self.low.log10()) / (self.high.log10() - self.low.log10())
        } else {
            (value - self.low) / (self.high - self.low)
        };
        TOP + plot_height() * (1.0 - share.clamp(0.0, 1.0))
    }

    fn ticks(&self) -> Vec<f64> {
        if self.log {
            let decades = (self.high / self.low).log10().round() as i32;
            return (0..=decades).map(|d| self.low * 10f64.powi(d)).collect();
        }
        (0..=4).map(|step| self.high * step as f64 / 4.0).collect()
    }

    /// The axis line, its ticks with grid lines, and its label.
    fn draw(&self, label: &str) -> String {
        let mut svg = format!(
            "<line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{}\" stroke=\"#000\"/><line x1=\"{LEFT}\" x2=\"{}\" y1=\"{b}\" y2=\"{b}\" stroke=\"#000\"/>",
            TOP + plot_height(),
            WIDTH - RIGHT,
            b = TOP + plot_height()
        );
        for tick in self.ticks() {
            let y = self.at(tick);
            let _ = write!(
                svg,
                "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                WIDTH - RIGHT,
                LEFT - 4.0,
                y + 4.0,
                number(tick)
            );
        }
        let _ = write!(
            svg,
            "<text transform=\"translate(12 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
            TOP + plot_height() / 2.0,
            escape(label)
        );
        svg
    }
}

/// The smallest 1, 2, 2.5, 5 or 10 times a power of ten at or above `value`: the linear axis
/// then has round quarter ticks.
fn round_up(value: f64) -> f64 {
    let decade = 10f64.powf(value.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|s| s * decade >= value)
        .unwrap_or(10.0);
    step * decade
}

fn all_points(plot: &Plot) -> impl Iterator<Item = &(f64, f64)> {
    plot.series.iter().flat_map(|s: &Series| s.points.iter())
}

fn distinct(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    sorted
}

fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// A short label: 12k, 1.5, 0.02.
fn number(value: f64) -> String {
    if value.abs() >= 10_000.0 {
        return format!("{}k", (value / 1000.0).round());
    }
    let rounded = format!("{value:.3}");
    rounded.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn colour(index: usize) -> &'static str {
    COLOURS[index % COLOURS.len()]
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
