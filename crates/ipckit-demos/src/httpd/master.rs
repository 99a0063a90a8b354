//! The master: binds, preforks, reaps and replaces, reloads and stops; signals come from a
//! signalfd, commands go to each worker over its own unix seqpacket socket.

use std::io::Write as _;
use std::net::TcpListener;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use ipckit::net::unix::UnixSeqpacket;
use ipckit::signal::{Signal, SignalFd, SignalSet};

use super::scoreboard::{segment_name, Scoreboard};
use super::{Command, Config};

/// A worker that died this soon after its start is restarted only after [`BACKOFF`].
const QUICK_DEATH: Duration = Duration::from_millis(200);
const BACKOFF: Duration = Duration::from_millis(500);
/// How often the loop looks at its children and deadlines when no signal comes.
const TICK: Duration = Duration::from_millis(100);

struct Worker {
    child: Child,
    ctl: UnixSeqpacket,
    slot: usize,
    generation: u64,
    /// Told to stop or reload: killed at this instant if still running.
    drain_deadline: Option<Instant>,
    started: Instant,
}

struct Master<'a> {
    cfg: &'a Config,
    root: PathBuf,
    exe: PathBuf,
    listener: TcpListener,
    board: Scoreboard,
    generation: u64,
    workers: Vec<Worker>,
    /// Slots waiting for a worker, and when to start it.
    pending: Vec<(usize, Instant)>,
    stopping: Option<Instant>,
}

pub(crate) fn run(cfg: &Config) -> std::io::Result<i32> {
    let root = std::fs::canonicalize(&cfg.root)?;
    if !root.is_dir() {
        return Err(std::io::Error::other(format!(
            "--root {}: not a directory",
            cfg.root.display()
        )));
    }
    if cfg.workers == 0 {
        return Err(std::io::Error::other("--workers must be at least 1"));
    }
    let listener = ipckit::net::tcp::listen(cfg.listen.as_str())?;
    let addr = listener.local_addr()?;

    let set = SignalSet::from([
        Signal::TERM,
        Signal::INT,
        Signal::HUP,
        Signal::CHLD,
        Signal::USR1,
    ]);
    // Blocked before any worker exists; the workers inherit the mask across exec and
    // unblock everything first thing.
    let _mask = ipckit::signal::block(&set)?;
    let sigfd = SignalFd::new(&set)?;

    remove_stale_segments();
    // Two slots per worker: during a reload the old generation drains beside the new one.
    let board = Scoreboard::create(std::process::id(), cfg.workers * 2)?;
    board.set_generation(1);

    let mut stdout = std::io::stdout();
    writeln!(stdout, "{addr}")?;
    stdout.flush()?;
    eprintln!(
        "prefork-httpd: master {} listening on http://{addr}/ with {} workers, root {}, scoreboard {}",
        std::process::id(),
        cfg.workers,
        root.display(),
        board.name()
    );

    let now = Instant::now();
    let mut m = Master {
        cfg,
        root,
        exe: std::env::current_exe()?,
        listener,
        board,
        generation: 1,
        workers: Vec::new(),
        pending: (0..cfg.workers).map(|s| (s, now)).collect(),
        stopping: None,
    };
    let mut infos = Vec::new();
    loop {
        m.start_pending();
        infos.clear();
        match sigfd.recv_many(&mut infos, Some(TICK)) {
            Ok(_) => {}
            Err(e) if e.kind() == ipckit::ErrorKind::TimedOut => {}
            Err(e) => return Err(e.into()),
        }
        for info in &infos {
            let sig = info.signal();
            if sig == Signal::TERM || sig == Signal::INT {
                m.stop(sig);
            } else if sig == Signal::HUP {
                m.reload();
            } else if sig == Signal::USR1 {
                eprint!("{}", m.board.to_text());
            }
            // SIGCHLD: the reaping below.
        }
        m.reap();
        m.enforce_deadlines();
        if m.stopping.is_some() && m.workers.is_empty() {
            eprintln!("prefork-httpd: master {} stopped", std::process::id());
            return Ok(0);
        }
    }
}

impl Master<'_> {
    fn start_pending(&mut self) {
        if self.stopping.is_some() {
            self.pending.clear();
            return;
        }
        let now = Instant::now();
        let due: Vec<usize> = self
            .pending
            .iter()
            .filter(|(_, at)| *at <= now)
            .map(|(s, _)| *s)
            .collect();
        self.pending.retain(|(_, at)| *at > now);
        for slot in due {
            if let Err(e) = self.spawn(slot) {
                eprintln!("prefork-httpd: cannot start a worker in slot {slot}: {e}; retrying");
                self.pending.push((slot, now + BACKOFF));
            }
        }
    }

    fn spawn(&mut self, slot: usize) -> std::io::Result<()> {
        let (mine, theirs) = UnixSeqpacket::pair()?;
        let c = self.cfg;
        let mut cmd = std::process::Command::new(&self.exe);
        cmd.arg("--worker-slot")
            .arg(slot.to_string())
            .arg("--worker-generation")
            .arg(self.generation.to_string())
            .arg("--worker-scoreboard")
            .arg(self.board.name())
            .arg("--root")
            .arg(&self.root)
            .arg("--max-requests-per-child")
            .arg(c.max_requests_per_child.to_string())
            .arg("--grace")
            .arg(c.grace.as_secs_f64().to_string())
            .arg("--keepalive-timeout")
            .arg(c.keepalive.as_secs_f64().to_string())
            .arg("--request-timeout")
            .arg(c.request_timeout.as_secs_f64().to_string())
            .arg("--max-connections")
            .arg(c.max_connections.to_string())
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = cmd.spawn()?;
        // `cmd` holds the child's end of the socket: close the parent's copy now, so that
        // the worker alone has it.
        drop(cmd);
        self.board.slot(slot).claim(child.id(), self.generation);
        let worker = Worker {
            child,
            ctl: mine,
            slot,
            generation: self.generation,
            drain_deadline: None,
            started: Instant::now(),
        };
        // A worker that died already shows up in reap().
        let _ = worker.ctl.send_fds(b"L", &[self.listener.as_fd()]);
        self.workers.push(worker);
        Ok(())
    }

    fn stop(&mut self, sig: Signal) {
        if self.stopping.is_some() {
            eprintln!("prefork-httpd: {sig} again: killing the workers now");
            for w in &mut self.workers {
                let _ = w.child.kill();
            }
            return;
        }
        eprintln!(
            "prefork-httpd: {sig}: stopping gracefully (grace {:?})",
            self.cfg.grace
        );
        let deadline = Instant::now() + self.cfg.grace;
        self.stopping = Some(deadline);
        self.pending.clear();
        for w in &mut self.workers {
            let _ = w.ctl.send(Command::Stop.as_bytes());
            w.drain_deadline = Some(w.drain_deadline.map_or(deadline, |d| d.min(deadline)));
        }
    }

    fn reload(&mut self) {
        if self.stopping.is_some() {
            return;
        }
        self.generation += 1;
        self.board.set_generation(self.generation);
        eprintln!(
            "prefork-httpd: SIGHUP: starting generation {}, the old workers drain",
            self.generation
        );
        let deadline = Instant::now() + self.cfg.grace;
        let old: Vec<usize> = (0..self.workers.len())
            .filter(|&i| self.workers[i].drain_deadline.is_none())
            .collect();
        // The new generation takes free slots; a worker of an earlier reload still
        // draining gives its slot up if there are not enough.
        let mut free = self.free_slots();
        while free.len() < self.cfg.workers {
            let Some(i) = (0..self.workers.len())
                .filter(|&i| self.workers[i].drain_deadline.is_some())
                .min_by_key(|&i| self.workers[i].generation)
            else {
                break;
            };
            let mut w = self.workers.swap_remove(i);
            let _ = w.child.kill();
            let _ = w.child.wait();
            eprintln!(
                "prefork-httpd: worker {} (generation {}) killed: its slot is needed",
                w.child.id(),
                w.generation
            );
            self.board.slot(w.slot).reset();
            free = self.free_slots();
        }
        // Old pids, before the vector changes.
        let old_pids: Vec<u32> = old.iter().map(|&i| self.workers[i].child.id()).collect();
        self.pending.clear();
        let now = Instant::now();
        for s in free.into_iter().take(self.cfg.workers) {
            self.pending.push((s, now));
        }
        self.start_pending();
        for w in &mut self.workers {
            if old_pids.contains(&w.child.id()) {
                let _ = w.ctl.send(Command::Reload.as_bytes());
                w.drain_deadline = Some(deadline);
            }
        }
    }

    fn free_slots(&self) -> Vec<usize> {
        (0..self.board.slots())
            .filter(|s| {
                !self.workers.iter().any(|w| w.slot == *s)
                    && !self.pending.iter().any(|(p, _)| p == s)
            })
            .collect()
    }

    fn reap(&mut self) {
        let mut i = 0;
        while i < self.workers.len() {
            let status = match self.workers[i].child.try_wait() {
                Ok(Some(st)) => st,
                Ok(None) | Err(_) => {
                    i += 1;
                    continue;
                }
            };
            let w = self.workers.swap_remove(i);
            let pid = w.child.id();
            self.board.slot(w.slot).reset();
            if self.stopping.is_some() || w.drain_deadline.is_some() {
                eprintln!(
                    "prefork-httpd: worker {pid} (slot {}, generation {}) finished: {status}",
                    w.slot, w.generation
                );
                continue;
            }
            let how = if status.success() {
                "retired (--max-requests-per-child)".to_string()
            } else {
                format!("died ({status})")
            };
            eprintln!(
                "prefork-httpd: worker {pid} (slot {}, generation {}) {how}; replacing it",
                w.slot, w.generation
            );
            let at = if w.started.elapsed() < QUICK_DEATH {
                Instant::now() + BACKOFF
            } else {
                Instant::now()
            };
            self.pending.push((w.slot, at));
        }
    }

    fn enforce_deadlines(&mut self) {
        let now = Instant::now();
        for w in &mut self.workers {
            if w.drain_deadline.is_some_and(|d| now >= d) {
                eprintln!(
                    "prefork-httpd: worker {} still busy after the grace period: killed",
                    w.child.id()
                );
                let _ = w.child.kill();
                // Killed once: its reaping follows.
                w.drain_deadline = Some(now + Duration::from_secs(3600));
            }
        }
    }
}

impl Drop for Master<'_> {
    fn drop(&mut self) {
        // An error return: leave no worker behind (their hang-up would stop them too).
        for w in &mut self.workers {
            let _ = w.child.kill();
            let _ = w.child.wait();
        }
    }
}

/// Removes scoreboards of masters that no longer exist (a master killed before its
/// workers could clean up, e.g. with no worker running).
fn remove_stale_segments() {
    let Ok(list) = ipckit::inspect::posix::list_shm() else {
        return;
    };
    for shm in list {
        let Some(pid) = shm
            .common
            .name
            .strip_prefix("/ipckit-httpd-")
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if matches!(
            ipckit::signal::probe(pid),
            Ok(ipckit::signal::Probe::NoSuchProcess)
        ) && shm.common.name == segment_name(pid)
        {
            eprintln!(
                "prefork-httpd: removing {}, left by a master that is gone",
                shm.common.name
            );
            Scoreboard::unlink_name(&shm.common.name);
        }
    }
}
