//! The replay journal: the ids of dead letters whose delivery was confirmed, written to disk
//! (and synced) before their delete is tried.
//!
//! SQS deduplicates a re-sent FIFO message only within five minutes of the first send. A run
//! that delivered a message but could not delete it (it crashed, or the delete failed) leaves it
//! in the DLQ; a re-run more than five minutes later would deliver it again. With the journal,
//! a re-run deletes such a message without sending it. The only window left is between SQS
//! confirming a send and the journal's sync (microseconds to a few milliseconds), which the
//! deduplication window covers.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

pub struct Journal {
    path: PathBuf,
    file: File,
    /// Delivered and not known to be deleted: from earlier runs, and from this one.
    delivered: HashSet<String>,
}

impl Journal {
    /// Opens (or creates) the journal at `path`, reading what earlier runs recorded.
    pub fn open(path: &Path) -> anyhow::Result<Journal> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let delivered = match File::open(path) {
            Ok(file) => BufReader::new(file)
                .lines()
                .collect::<Result<HashSet<String>, _>>()
                .with_context(|| format!("reading the replay journal {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashSet::new(),
            Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening the replay journal {}", path.display()))?;
        Ok(Journal {
            path: path.to_owned(),
            file,
            delivered,
        })
    }

    /// The default place for a DLQ's journal: `$XDG_STATE_HOME/wsflow/replay/`, else
    /// `~/.local/state/wsflow/replay/`, else the temporary directory; one file per queue URL.
    pub fn default_path(queue_url: &str) -> PathBuf {
        let state = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/state")))
            .unwrap_or_else(std::env::temp_dir);
        let name: String = queue_url
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        state.join("wsflow/replay").join(format!("{name}.journal"))
    }

    /// Whether an earlier run delivered this dead letter.
    pub fn delivered(&self, message_id: &str) -> bool {
        self.delivered.contains(message_id)
    }

    /// Records deliveries, synced to disk before this returns.
    pub fn record(&mut self, message_ids: &[&str]) -> anyhow::Result<()> {
        let mut lines = String::new();
        for id in message_ids {
            lines.push_str(id);
            lines.push('\n');
            self.delivered.insert((*id).to_owned());
        }
        self.file
            .write_all(lines.as_bytes())
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("writing the replay journal {}", self.path.display()))
    }

    /// Forgets dead letters that are deleted: they cannot come back.
    pub fn deleted(&mut self, message_ids: &[&str]) {
        for id in message_ids {
            self.delivered.remove(*id);
        }
    }

    /// Rewrites the journal with only what is delivered and not deleted (atomically: a crash
    /// leaves the old or the new file).
    pub fn compact(self) -> anyhow::Result<()> {
        let temporary = self.path.with_extension("journal.tmp");
        let mut lines: Vec<&String> = self.delivered.iter().collect();
        lines.sort();
        let text: String = lines.iter().map(|id| format!("{id}\n")).collect();
        let mut file = File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temporary, &self.path)
            .with_context(|| format!("rewriting the replay journal {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_survive_a_reopen_until_deleted() {
        let dir = std::env::temp_dir().join(format!("wsflow-journal-{}", std::process::id()));
        let path = dir.join("q.journal");
        let mut journal = Journal::open(&path).unwrap();
        journal.record(&["m1", "m2"]).unwrap();
        drop(journal);
        let mut journal = Journal::open(&path).unwrap();
        assert!(journal.delivered("m1") && journal.delivered("m2") && !journal.delivered("m3"));
        journal.deleted(&["m1"]);
        journal.compact().unwrap();
        let journal = Journal::open(&path).unwrap();
        assert!(!journal.delivered("m1") && journal.delivered("m2"));
        fs::remove_dir_all(dir).unwrap();
    }
}
