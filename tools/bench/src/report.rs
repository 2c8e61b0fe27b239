//! Collects figures, prints them as they come, writes target/bench-report/worker.{json,md}.

use std::fmt::Write as _;

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Figure {
    pub section: String,
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub note: String,
}

#[derive(Default)]
pub struct Report {
    figures: Vec<Figure>,
}

impl Report {
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

    pub fn write(&self) -> anyhow::Result<()> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-report");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("worker.json"),
            serde_json::to_string_pretty(&self.figures)?,
        )?;
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
        std::fs::write(dir.join("worker.md"), md)?;
        println!("report: {}", dir.join("worker.md").display());
        Ok(())
    }
}
