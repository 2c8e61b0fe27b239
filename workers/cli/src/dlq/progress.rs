//! Progress on stderr for people: drawn only on a terminal and never with `--json`, so scripts
//! and logs get clean output.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::context::Context;

fn shown(context: &Context) -> bool {
    !context.json && std::io::stderr().is_terminal()
}

/// A bar towards `total` messages; the message slot carries a running tally.
pub fn bar(context: &Context, total: u64) -> ProgressBar {
    if !shown(context) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} {msg}").expect("template is valid"),
    );
    bar
}

/// A spinner counting messages, for work whose total is unknown.
pub fn spinner(context: &Context, label: &'static str) -> ProgressBar {
    if !shown(context) {
        return ProgressBar::hidden();
    }
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {prefix} {pos} messages").expect("template is valid"),
    );
    spinner.set_prefix(label);
    spinner.enable_steady_tick(Duration::from_millis(100));
    spinner
}
