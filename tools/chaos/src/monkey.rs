//! SIGKILLs a random queue-worker process of `wsflow dev` at a random moment after every so many
//! answers, as Lambda loses an execution environment mid-invocation. The function host starts a
//! fresh process for the next invocation; the killed invocation's batch comes back after its
//! visibility timeout. Kills follow the work done, not the clock: on a clock, a run that slows
//! down (its groups blocked by earlier kills) takes more kills per job, and slows down further.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The worker binary's process name (`/proc/<pid>/comm`).
const WORKER: &str = "queue-worker";
/// A kill lands within this long after its answer count is reached: at a random moment of the
/// batches then in flight.
const SPREAD_MS: u64 = 1_000;

pub struct Monkey {
    stop: watch::Sender<bool>,
    task: JoinHandle<usize>,
}

/// Starts killing descendants of `root`, once per `every` answers counted by `answers`.
pub fn start(root: u32, answers: watch::Receiver<usize>, every: usize) -> Monkey {
    let (stop, mut stopped) = watch::channel(false);
    let mut answers = answers;
    let task = tokio::spawn(async move {
        let mut kills = 0;
        let mut next = every.max(1);
        loop {
            let delay = Duration::from_millis(rand::random_range(0..SPREAD_MS));
            tokio::select! {
                reached = answers.wait_for(|&n| n >= next) => {
                    if reached.is_err() {
                        return kills;
                    }
                }
                _ = stopped.changed() => return kills,
            }
            next += every.max(1);
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
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
