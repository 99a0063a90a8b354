//! The watchdog: a thread that kills a scenario that hangs (its peer died while the parent
//! waits in `accept`, or a mechanism deadlocks) and ends the run with an error instead of
//! hanging forever.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the watchdog watches: the peer of the running scenario.
struct Armed {
    pid: i32,
    what: String,
    deadline: Instant,
    stderr: PathBuf,
    exited_at: Option<Instant>,
}

/// Kills a scenario that hangs (its peer died while the parent waits in `accept`, or a
/// mechanism deadlocks) and ends the run with an error instead of hanging forever.
pub struct Watchdog {
    armed: Arc<Mutex<Option<Armed>>>,
}

impl Watchdog {
    /// Starts the thread; on a hang it removes `dir` and exits the process with status 2.
    pub fn start(dir: PathBuf) -> Watchdog {
        let armed: Arc<Mutex<Option<Armed>>> = Arc::new(Mutex::new(None));
        let a = Arc::clone(&armed);
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(100));
            let mut g = match a.lock() {
                Ok(g) => g,
                Err(_) => return,
            };
            let Some(w) = g.as_mut() else { continue };
            let now = Instant::now();
            if w.exited_at.is_none() && peer_exited(w.pid) {
                w.exited_at = Some(now);
            }
            let hung_after_exit = w
                .exited_at
                .is_some_and(|t| now.duration_since(t) > Duration::from_secs(3));
            if now > w.deadline || hung_after_exit {
                let why = if hung_after_exit {
                    "its peer exited and the parent is still waiting"
                } else {
                    "it did not finish in time"
                };
                let peer_err = std::fs::read_to_string(&w.stderr).unwrap_or_default();
                eprintln!(
                    "\nipckit: bench {}: stopped because {why}; peer said: {}",
                    w.what,
                    peer_err.trim()
                );
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(w.pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
                let _ = std::fs::remove_dir_all(&dir);
                std::process::exit(2);
            }
        });
        Watchdog { armed }
    }

    /// Watches the peer `pid` of the scenario `what` for `limit`; `stderr` is its stderr file.
    pub fn arm(&self, pid: u32, what: String, limit: Duration, stderr: PathBuf) {
        if let Ok(mut g) = self.armed.lock() {
            *g = Some(Armed {
                pid: pid as i32,
                what,
                deadline: Instant::now() + limit,
                stderr,
                exited_at: None,
            });
        }
    }

    /// Stops watching (the scenario ended).
    pub fn disarm(&self) {
        if let Ok(mut g) = self.armed.lock() {
            *g = None;
        }
    }
}

/// Whether `pid` (our child, not yet reaped) has exited: a zombie in `/proc/PID/stat`.
fn peer_exited(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}
