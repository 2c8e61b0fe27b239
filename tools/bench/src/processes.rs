//! Everything the benchmark starts stops with it: on success, on an error and on SIGINT/SIGTERM.
//!
//! Dropping a `kill_on_drop` child is not enough: it SIGKILLs only that process, and what the
//! process started itself lives on (`wsflow dev` puts its moto server in its own process group,
//! `run.sh` backgrounds node). So this process becomes a child subreaper, which keeps every
//! orphaned descendant below it, and stops whole trees: SIGTERM first, so `wsflow dev` stops its
//! functions and its backend itself, then SIGKILL for whatever is still alive after a grace time.

use std::ops::Deref;
use std::time::{Duration, Instant};

use tokio::signal::unix::{signal, SignalKind};

/// How long a SIGTERMed tree gets to stop before it is killed.
const GRACE: Duration = Duration::from_secs(5);

/// Makes this process the reaper of its orphaned descendants and tears them all down on
/// SIGINT or SIGTERM. The signals are awaited on a thread of their own, so a busy benchmark
/// on the main runtime cannot delay the teardown.
pub fn install() -> anyhow::Result<()> {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes a plain integer argument.
    let status = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    anyhow::ensure!(
        status == 0,
        "prctl(PR_SET_CHILD_SUBREAPER): {}",
        std::io::Error::last_os_error()
    );
    let (registered, registration) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if let Some(signal) = await_signal(registered) {
            eprintln!("wsflow-bench: signal {signal}, stopping everything it started");
            stop_all();
            std::process::exit(128 + signal);
        }
    });
    // Waited for, so no benchmark starts before the handler is in place.
    registration.recv()??;
    Ok(())
}

/// Registers for SIGINT and SIGTERM (reporting how that went on `registered`), then waits for
/// one of them on a runtime of this thread.
fn await_signal(registered: std::sync::mpsc::Sender<std::io::Result<()>>) -> Option<libc::c_int> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => return registered.send(Err(e)).ok().and(None),
    };
    runtime.block_on(async {
        let signals = signal(SignalKind::interrupt()).and_then(|i| Ok((i, signal(SignalKind::terminate())?)));
        let (mut interrupt, mut terminate) = match signals {
            Ok(signals) => signals,
            Err(e) => return registered.send(Err(e)).ok().and(None),
        };
        registered.send(Ok(())).ok()?;
        tokio::select! {
            _ = interrupt.recv() => Some(libc::SIGINT),
            _ = terminate.recv() => Some(libc::SIGTERM),
        }
    })
}

/// Stops every process below this one.
pub fn stop_all() {
    terminate(&descendants(std::process::id()));
}

/// Stops `root` and every process below it, and waits until they are gone. Pid 0 (what a
/// reaped child reports) stops nothing.
pub fn stop_tree(root: u32) {
    if root == 0 {
        return;
    }
    let mut tree = descendants(root);
    tree.push(root);
    terminate(&tree);
}

/// Calls [`stop_all`] when dropped: at the end of `main`, also when it returns an error or
/// unwinds from a panic.
pub struct Teardown;

impl Drop for Teardown {
    fn drop(&mut self) {
        stop_all();
    }
}

/// A started process (a `wsflow dev`, a peer server, a stub) whose whole tree is stopped, as
/// [`stop_tree`] does, when this is dropped.
pub struct Guard<T> {
    process: T,
    pid: u32,
}

impl<T> Guard<T> {
    pub fn new(process: T, pid: u32) -> Guard<T> {
        Guard { process, pid }
    }
}

impl Guard<tokio::process::Child> {
    pub fn child(child: tokio::process::Child) -> Self {
        let pid = child.id().unwrap_or_default();
        Guard::new(child, pid)
    }
}

impl Guard<wsflow_e2e::Dev> {
    pub fn dev(dev: wsflow_e2e::Dev) -> Self {
        let pid = dev.pid();
        Guard::new(dev, pid)
    }
}

impl<T> Deref for Guard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.process
    }
}

impl<T> Drop for Guard<T> {
    fn drop(&mut self) {
        stop_tree(self.pid);
    }
}

/// SIGTERM to each of `pids`, then SIGKILL to those still running after [`GRACE`].
fn terminate(pids: &[u32]) {
    send(pids, libc::SIGTERM);
    let deadline = Instant::now() + GRACE;
    while pids.iter().any(|&pid| running(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    send(pids, libc::SIGKILL);
}

fn send(pids: &[u32], signal: libc::c_int) {
    for &pid in pids.iter().filter(|&&pid| running(pid)) {
        // SAFETY: kill only sends a signal; a process that exited meanwhile makes it fail (ESRCH).
        unsafe { libc::kill(pid as libc::pid_t, signal) };
    }
}

/// Alive and not a zombie: a zombie has exited, it only waits for its parent to reap it.
fn running(pid: u32) -> bool {
    stat(pid).is_some_and(|(state, _)| state != 'Z')
}

/// The processes below `root`, children before grandchildren, from /proc's parent links.
fn descendants(root: u32) -> Vec<u32> {
    let processes: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .filter_map(|pid| Some((pid, stat(pid)?.1)))
        .collect();
    let mut tree = vec![root];
    let mut next = 0;
    while next < tree.len() {
        let parent = tree[next];
        tree.extend(
            processes
                .iter()
                .filter(|(_, ppid)| *ppid == parent)
                .map(|(pid, _)| *pid),
        );
        next += 1;
    }
    tree.remove(0);
    tree
}

/// State and parent pid of `pid` from /proc/PID/stat; `None` once it is gone.
fn stat(pid: u32) -> Option<(char, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "PID (COMMAND) STATE PPID …": the command may hold spaces and parentheses.
    let mut fields = text.get(text.rfind(')')? + 2..)?.split(' ');
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}
