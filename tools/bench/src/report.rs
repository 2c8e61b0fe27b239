//! What a benchmark run found, as data: figures (the table) and plots, each plot a list of
//! named series of points. A new series is only more data: nothing about it is coded in the
//! renderer. Written as target/bench-report/report.json, worker.md and index.html.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figure {
    pub section: String,
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub note: String,
}

/// How a plot draws its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Points joined by lines, x on a linear axis.
    Lines,
    /// Grouped bars, one group per x value (a histogram's buckets), in the order given.
    Bars,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plot {
    /// Stable identifier: the `id` of the plot's element in the page.
    pub id: String,
    pub title: String,
    pub kind: Kind,
    pub x_label: String,
    pub y_label: String,
    /// A logarithmic y axis, for series orders of magnitude apart.
    #[serde(default)]
    pub log_y: bool,
    /// Where the x axis has ticks (and, for lines, its extent), whatever the series hold.
    #[serde(default)]
    pub x_ticks: Vec<f64>,
    pub series: Vec<Series>,
}

impl Plot {
    pub fn new(id: &str, kind: Kind, title: &str, x_label: &str, y_label: &str) -> Plot {
        Plot {
            id: id.into(),
            title: title.into(),
            kind,
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_y: false,
            x_ticks: Vec::new(),
            series: Vec::new(),
        }
    }

    pub fn with_log_y(mut self) -> Plot {
        self.log_y = true;
        self
    }

    pub fn with_x_ticks(mut self, ticks: &[f64]) -> Plot {
        self.x_ticks = ticks.to_vec();
        self
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    /// (x, y) pairs.
    pub points: Vec<(f64, f64)>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Report {
    pub figures: Vec<Figure>,
    pub plots: Vec<Plot>,
}

impl Report {
    /// Records a figure and prints it, so a long run shows its progress.
    pub fn add(&mut self, section: &str, name: &str, value: f64, unit: &str, note: &str) {
        println!("{section:<22} {name:<52} {value:>12.2} {unit:<8} {note}");
        self.figures.push(Figure {
            section: section.into(),
            name: name.into(),
            value,
            unit: unit.into(),
            note: note.into(),
        });
    }

    /// Declares a plot (before its series are added); declaring it again keeps the first.
    pub fn declare(&mut self, plot: Plot) {
        if !self.plots.iter().any(|p| p.id == plot.id) {
            self.plots.push(plot);
        }
    }

    /// Appends `point` to the series `name` of the plot `plot_id`, creating the series.
    pub fn point(&mut self, plot_id: &str, name: &str, point: (f64, f64)) {
        self.series(plot_id, name).points.push(point);
    }

    /// Adds a whole series to the plot `plot_id`.
    pub fn add_series(&mut self, plot_id: &str, series: Series) {
        self.series(plot_id, &series.name).points.extend(series.points);
    }

    fn series(&mut self, plot_id: &str, name: &str) -> &mut Series {
        let plot = self
            .plots
            .iter_mut()
            .find(|p| p.id == plot_id)
            .unwrap_or_else(|| panic!("plot {plot_id} is not declared"));
        if let Some(index) = plot.series.iter().position(|s| s.name == name) {
            return &mut plot.series[index];
        }
        plot.series.push(Series {
            name: name.into(),
            points: Vec::new(),
        });
        plot.series.last_mut().expect("just pushed")
    }

    /// Writes report.json, worker.md and index.html into `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("report.json"), serde_json::to_string_pretty(self)?)?;
        std::fs::write(dir.join("worker.md"), self.markdown())?;
        std::fs::write(dir.join("index.html"), crate::html::render(self))?;
        println!("report: {}", dir.join("index.html").display());
        Ok(())
    }

    fn markdown(&self) -> String {
        let mut md = String::from(
            "# Worker benchmark\n\n| section | figure | value | unit | note |\n|---|---|---:|---|---|\n",
        );
        for f in &self.figures {
            let _ = writeln!(
                md,
                "| {} | {} | {:.2} | {} | {} |",
                f.section, f.name, f.value, f.unit, f.note
            );
        }
        md
    }
}
