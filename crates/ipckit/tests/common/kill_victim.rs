//! The kill-at-random harness: the watcher thread that kills the peer at its point and
//! reaps it (see `tests/kill_at_random.rs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use crate::common::Peer;
use crate::kill_peer::{Counter, PROGRESS};

/// A trial that has not reached its kill point by then is a failure (the peer hung).
pub(crate) const TRIAL_GUARD: Duration = Duration::from_secs(8);

#[derive(Clone, Debug)]
pub(crate) enum Trigger {
    /// When the peer stopped itself.
    Stopped,
    /// When the peer stopped itself and the survivor's send would block.
    StoppedAndBlocked(Arc<AtomicBool>),
    /// When the peer's progress has not moved for 10 ms and every thread of it sleeps
    /// (blocked in a send on a full transport).
    Stall,
    /// This long after the peer was started.
    After(Duration),
}

#[derive(Default)]
struct Watch {
    killed_at: Option<Instant>,
    status: Option<String>,
    problem: Option<String>,
}

/// The peer and its watcher thread.
pub(crate) struct Victim {
    watch: Arc<Mutex<Watch>>,
    stopped: Arc<AtomicBool>,
    abort: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    start: Instant,
}

/// Whether every thread of `pid` is asleep (state `S`), per `/proc/PID/task/*/stat`.
fn all_threads_sleep(pid: i32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().all(|t| {
        std::fs::read_to_string(t.path().join("stat"))
            .ok()
            .and_then(|s| s.rsplit_once(") ").map(|(_, r)| r.starts_with('S')))
            .unwrap_or(false)
    })
}

impl Victim {
    pub(crate) fn spawn(
        role: &str,
        args: &[&str],
        trigger: Trigger,
        counter: Arc<Counter>,
    ) -> Victim {
        let mut cmd = Peer::command(role, args);
        cmd.stdout(std::process::Stdio::null());
        let child = cmd.spawn().expect("spawn peer");
        let pid = Pid::from_raw(child.id() as i32);
        drop(child); // reaped by the watcher with waitpid, never by Child
        let start = Instant::now();
        let watch = Arc::new(Mutex::new(Watch::default()));
        let stopped = Arc::new(AtomicBool::new(false));
        let abort = Arc::new(AtomicBool::new(false));
        let (w, s, ab) = (Arc::clone(&watch), Arc::clone(&stopped), Arc::clone(&abort));
        let thread = std::thread::spawn(move || {
            let mut last = (u32::MAX, Instant::now());
            loop {
                match waitpid(pid, Some(WaitPidFlag::WNOHANG | WaitPidFlag::WUNTRACED)) {
                    Ok(WaitStatus::Stopped(..)) => s.store(true, Ordering::Release),
                    Ok(WaitStatus::StillAlive) => {}
                    other => {
                        let mut w = w.lock().unwrap();
                        w.problem = Some(format!("peer ended before its kill point: {other:?}"));
                        w.status = Some(format!("{other:?}"));
                        w.killed_at = Some(Instant::now());
                        return;
                    }
                }
                let fire = match &trigger {
                    Trigger::Stopped => s.load(Ordering::Acquire),
                    Trigger::StoppedAndBlocked(b) => {
                        s.load(Ordering::Acquire) && b.load(Ordering::Acquire)
                    }
                    Trigger::Stall => {
                        let p = counter.get(PROGRESS);
                        if p != last.0 {
                            last = (p, Instant::now());
                        }
                        p >= 1
                            && last.1.elapsed() >= Duration::from_millis(10)
                            && all_threads_sleep(pid.as_raw())
                    }
                    Trigger::After(d) => start.elapsed() >= *d,
                };
                let late = start.elapsed() > TRIAL_GUARD || ab.load(Ordering::Acquire);
                if fire || late {
                    // Noted before the signal, so no survivor sees the death first.
                    w.lock().unwrap().killed_at = Some(Instant::now());
                    kill(pid, Signal::SIGKILL).expect("SIGKILL the peer");
                    let status = waitpid(pid, None);
                    let mut w = w.lock().unwrap();
                    w.status = Some(format!("{status:?}"));
                    if !matches!(status, Ok(WaitStatus::Signaled(_, Signal::SIGKILL, _))) {
                        w.problem = Some(format!("peer did not die of SIGKILL: {status:?}"));
                    }
                    if late && !fire {
                        w.problem = Some(format!("kill point {trigger:?} not reached"));
                    }
                    return;
                }
                std::thread::sleep(Duration::from_micros(100));
            }
        });
        Victim {
            watch,
            stopped,
            abort,
            thread: Some(thread),
            start,
        }
    }

    /// When the peer was killed (or ended by itself, which `finish` reports).
    pub(crate) fn killed_at(&self) -> Option<Instant> {
        self.watch.lock().unwrap().killed_at
    }

    /// Kills the peer now: the survivor failed and the trial is over.
    pub(crate) fn abort(&self) {
        self.abort.store(true, Ordering::Release);
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// How long the survivor's next wait may take: until `after` past the kill, or a short
    /// slice while the peer lives (so the survivor notices the kill).
    pub(crate) fn slice(&self, after: Duration) -> Duration {
        self.guard();
        match self.killed_at() {
            Some(k) => (k + after).saturating_duration_since(Instant::now()),
            None => Duration::from_millis(2),
        }
    }

    /// Whether `after` has passed since the kill.
    pub(crate) fn expired(&self, after: Duration) -> bool {
        self.killed_at().is_some_and(|k| k.elapsed() >= after)
    }

    pub(crate) fn guard(&self) {
        assert!(
            self.start.elapsed() < TRIAL_GUARD + Duration::from_secs(2),
            "survivor stuck: the trial ran over its guard"
        );
    }

    /// Waits until the peer was killed.
    pub(crate) fn wait_killed(&self) -> Instant {
        loop {
            if let Some(k) = self.killed_at() {
                return k;
            }
            self.guard();
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Joins the watcher (after the kill); an error if the peer did not die as planned.
    pub(crate) fn finish(mut self) -> Result<(), String> {
        self.wait_killed();
        self.thread.take().unwrap().join().expect("watcher thread");
        let w = self.watch.lock().unwrap();
        match &w.problem {
            Some(p) => Err(p.clone()),
            None => Ok(()),
        }
    }
}
