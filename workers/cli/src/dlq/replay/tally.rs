//! The replay's running count and its summary.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    /// Delivered and deleted from the DLQ (with `--dry-run`: would be).
    pub moved: usize,
    pub skipped: usize,
    pub failed: usize,
    pub skipped_by: BTreeMap<String, usize>,
    pub failed_by: BTreeMap<String, usize>,
    /// Of `moved`: delivered by an earlier run (per the journal), deleted by this one.
    pub resumed: usize,
    /// Messages in flight elsewhere when the run gave up waiting for them.
    pub in_flight: usize,
    /// Stopped by a signal after the batch in hand.
    pub interrupted: bool,
}

impl Tally {
    pub fn skip(&mut self, reason: &str) {
        self.skipped += 1;
        *self.skipped_by.entry(reason.to_owned()).or_default() += 1;
    }

    pub fn fail(&mut self, reason: &str) {
        self.failed += 1;
        *self.failed_by.entry(reason.to_owned()).or_default() += 1;
    }

    pub fn seen(&self) -> usize {
        self.moved + self.skipped + self.failed
    }

    pub fn progress(&self) -> String {
        format!(
            "moved {} skipped {} failed {}",
            self.moved, self.skipped, self.failed
        )
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub queue_url: String,
    pub target: String,
    pub dry_run: bool,
    #[serde(flatten)]
    pub tally: Tally,
}

impl Summary {
    pub fn human(&self) -> String {
        let t = &self.tally;
        let mut lines = vec![if self.dry_run {
            format!(
                "dry run, nothing changed: would move {}, skip {}, fail {} ({} -> {})",
                t.moved, t.skipped, t.failed, self.queue_url, self.target
            )
        } else {
            format!(
                "moved {}, skipped {}, failed {} ({} -> {})",
                t.moved, t.skipped, t.failed, self.queue_url, self.target
            )
        }];
        lines.extend(
            t.skipped_by
                .iter()
                .map(|(why, n)| format!("  skipped {n}: {why}")),
        );
        lines.extend(t.failed_by.iter().map(|(why, n)| format!("  failed {n}: {why}")));
        if t.resumed > 0 {
            lines.push(format!(
                "  {} of them delivered by an earlier run (journal); deleted now, not delivered again",
                t.resumed
            ));
        }
        if t.in_flight > 0 {
            lines.push(format!(
                "{} messages are in flight elsewhere (received by another consumer, such as an interrupted \
                 replay, until its visibility timeout ends) and were not replayed: run again once they return",
                t.in_flight
            ));
        }
        if t.interrupted {
            lines.push("stopped by a signal after the batch in hand; run again to go on".into());
        }
        lines.join("\n")
    }
}
