//! Child processes of a process, and whether a process still runs, read from /proc.

use std::collections::BTreeSet;

/// Process ids of the running children of `parent`.
pub fn children(parent: u32) -> BTreeSet<u32> {
    let entries = std::fs::read_dir("/proc").expect("reading /proc");
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| matches!(status(pid), Some((state, ppid)) if ppid == parent && state != "Z"))
        .collect()
}

/// Whether `pid` is a process that still runs (a zombie has ended, only its exit status is left).
pub fn alive(pid: u32) -> bool {
    status(pid).is_some_and(|(state, _)| state != "Z")
}

/// (state, parent pid) from `/proc/{pid}/stat`: `pid (comm) state ppid …`, where comm may hold
/// spaces and parentheses, so the fields are read after its last `)`.
fn status(pid: u32) -> Option<(String, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let state = fields.next()?.to_owned();
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}
