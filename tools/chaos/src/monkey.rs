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
            let workers = wsflow_testkit::procfs::descendants_named(root, WORKER);
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
