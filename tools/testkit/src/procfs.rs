//! Processes as /proc shows them: the children of a process, its descendants by name, and
//! whether a process still runs.

use std::collections::BTreeSet;

/// One line of `/proc/{pid}/stat`, the fields read here.
struct Stat {
    pid: u32,
    name: String,
    state: String,
    parent: u32,
}

/// `pid (comm) state ppid …`, where comm may hold spaces and parentheses, so the fields after
/// it are read after its last `)`.
fn stat(pid: u32) -> Option<Stat> {
    let line = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, rest) = line.rsplit_once(") ")?;
    let name = head.split_once(" (")?.1.to_owned();
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.to_owned();
    let parent = fields.next()?.parse().ok()?;
    Some(Stat {
        pid,
        name,
        state,
        parent,
    })
}

/// Every process that still runs (a zombie has ended, only its exit status is left).
fn running() -> Vec<Stat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(stat)
        .filter(|s| s.state != "Z")
        .collect()
}

/// Process ids of the running children of `parent`.
pub fn children(parent: u32) -> BTreeSet<u32> {
    running()
        .into_iter()
        .filter(|s| s.parent == parent)
        .map(|s| s.pid)
        .collect()
}

/// Whether `pid` is a process that still runs.
pub fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|s| s.state != "Z")
}

/// Running descendants of `root` whose process name (`/proc/{pid}/comm`, at most 15 bytes) is
/// `name`.
pub fn descendants_named(root: u32, name: &str) -> Vec<u32> {
    let processes = running();
    let parent_of = |pid: u32| processes.iter().find(|p| p.pid == pid).map(|p| p.parent);
    let descends = |mut pid: u32| {
        while let Some(parent) = parent_of(pid) {
            if parent == root {
                return true;
            }
            pid = parent;
        }
        false
    };
    processes
        .iter()
        .filter(|p| p.name == name && descends(p.pid))
        .map(|p| p.pid)
        .collect()
}
