//! SIGKILLs a random queue-worker process of `wsflow dev` at a fixed interval, as Lambda loses
//! an execution environment mid-invocation. The function host starts a fresh process for the
//! next invocation; the killed invocation's batch comes back after its visibility timeout.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The worker binary's process name (`/proc/<pid>/comm`).
const WORKER: &str = "queue-worker";

pub struct Monkey {
    stop: watch::Sender<bool>,
    task: JoinHandle<usize>,
}

/// Starts killing descendants of `root` every `every`.
pub fn start(root: u32, every: Duration) -> Monkey {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut kills = 0;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stopped.changed() => return kills,
            }
            let workers = workers_under(root);
            if workers.is_empty() {
                continue;
            }
            let victim = workers[rand::random_range(0..workers.len())];
            // SAFETY: kill(2) has no memory effects; the pid was read from /proc just now.
            if unsafe { libc::kill(victim as i32, libc::SIGKILL) } == 0 {
                kills += 1;
            }
        }
    });
    Monkey { stop, task }
}

impl Monkey {
    /// Stops killing; returns how many processes it killed.
    pub async fn stop(self) -> usize {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_default()
    }
}

/// Pids of the worker processes descending from `root`.
fn workers_under(root: u32) -> Vec<u32> {
    let processes: Vec<(u32, u32, String)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
            let (name, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
            let ppid = rest.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid, name.to_owned()))
        })
        .collect();
    let parent_of = |pid: u32| processes.iter().find(|p| p.0 == pid).map(|p| p.1);
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
        .filter(|(pid, _, name)| name == WORKER && descends(*pid))
        .map(|(pid, ..)| *pid)
        .collect()
}
