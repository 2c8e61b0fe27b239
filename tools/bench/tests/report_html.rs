//! The benchmark report, rendered from fixture data and loaded in a real headless Chromium:
//! every plot of the data is in the page with every series and point drawn, the page logs no
//! console message (no script error, no refused resource), and the figures' table is complete.
//!
//! Chromium prints the page's DOM after load (`--dump-dom`) and, with logging on stderr, each
//! console message as `…:CONSOLE:…] "message", source: …`. A check script appended to the page
//! reads the rendered DOM and logs its findings as one such message; any other message fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use wsflow_bench::report::Report;

const CHECK_PREFIX: &str = "REPORT-CHECK ";

/// Runs in the browser after the report's own content: what each plot drew, as laid out.
const CHECK_SCRIPT: &str = r##"<script>
const plots = [...document.querySelectorAll("figure.plot")].map((figure) => ({
  id: figure.dataset.plot,
  series: [...figure.querySelectorAll("svg g.series")].map((g) => ({
    name: g.dataset.name,
    marks: g.querySelectorAll(".mark").length,
  })),
  width: figure.querySelector("svg") ? figure.querySelector("svg").getBoundingClientRect().width : 0,
}));
const rows = document.querySelectorAll("#figures tr").length - 1;
console.log("REPORT-CHECK " + JSON.stringify({ plots, rows }));
</script>"##;

const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

fn fixture() -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The report written as `make bench` writes it, plus a copy of its page with the check script.
fn rendered(report: &Report) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-report-render");
    report.write(&dir).unwrap();
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(page.contains("</body>"), "the page has no </body>");
    let checked = dir.join("checked.html");
    std::fs::write(
        &checked,
        page.replace("</body>", &format!("{CHECK_SCRIPT}</body>")),
    )
    .unwrap();
    checked
}

/// The console messages of `page` loaded in headless Chromium, with no network at all.
fn console_messages(page: &Path) -> Vec<String> {
    let profile = page.with_file_name("chromium-profile");
    let mut browser = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg("--host-resolver-rules=MAP * ~NOTFOUND")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium is not installed: `make browser` installs it (Debian package chromium)");
    let stderr = browser.stderr.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    while browser.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            browser.kill().unwrap();
            panic!("chromium did not finish within {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader
        .join()
        .unwrap()
        .lines()
        .filter_map(console_message)
        .collect()
}

/// `[…:INFO:CONSOLE:12] "text", source: file:///… (12)` -> `text`.
fn console_message(line: &str) -> Option<String> {
    let (_, rest) = line.split_once(":CONSOLE")?;
    let (_, quoted) = rest.split_once("] \"")?;
    let end = quoted.rfind("\", source:").unwrap_or(quoted.len());
    Some(quoted[..end].to_owned())
}

#[test]
fn every_plot_renders_in_a_browser_without_console_messages() {
    let report = fixture();
    let messages = console_messages(&rendered(&report));
    let (checks, others): (Vec<_>, Vec<_>) = messages.iter().partition(|m| m.starts_with(CHECK_PREFIX));
    assert!(others.is_empty(), "the page logged: {others:#?}");
    assert_eq!(
        checks.len(),
        1,
        "the check script did not run once: {messages:#?}"
    );
    let found: Value = serde_json::from_str(&checks[0][CHECK_PREFIX.len()..]).unwrap();

    assert_eq!(found["rows"], report.figures.len(), "rows of the figures' table");
    let plots = found["plots"].as_array().unwrap();
    for plot in &report.plots {
        let drawn = plots
            .iter()
            .find(|p| p["id"] == plot.id.as_str())
            .unwrap_or_else(|| panic!("plot {} is missing from the page", plot.id));
        assert!(
            drawn["width"].as_f64().unwrap() > 0.0,
            "plot {} has no size",
            plot.id
        );
        let series = drawn["series"].as_array().unwrap();
        assert_eq!(series.len(), plot.series.len(), "series of plot {}", plot.id);
        for (expected, drawn) in plot.series.iter().zip(series) {
            assert_eq!(
                drawn["name"],
                expected.name.as_str(),
                "a series of plot {}",
                plot.id
            );
            assert_eq!(
                drawn["marks"],
                expected.points.len(),
                "points of {} in plot {}",
                expected.name,
                plot.id
            );
        }
    }
    assert_eq!(plots.len(), report.plots.len(), "plots in the page");
}
