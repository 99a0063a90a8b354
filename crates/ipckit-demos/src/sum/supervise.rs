//! The master's watch over its workers: who reported, who died, the deadline, Ctrl-C.

use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use ipckit::signal::{Catcher, Signal};

use super::{Fail, Mech, Report, Share};

/// How long after a worker exited with status 0 the master keeps looking for its report.
/// The report was in a pipe, socket, queue, segment or signal queue before the worker
/// exited, so an idle poll this long after its exit means it never sent one.
const EXIT_GRACE: Duration = Duration::from_millis(300);

/// One worker process.
#[derive(Debug)]
pub(crate) struct Worker {
    pub(crate) share: Share,
    pub(crate) child: Child,
    pub(crate) report: Option<Report>,
    exited: Option<(ExitStatus, Instant)>,
}

/// All the workers, the mechanism they report through, the deadline and the interrupt
/// catcher.
#[derive(Debug)]
pub(crate) struct Workers {
    pub(crate) list: Vec<Worker>,
    mech: Mech,
    catcher: Catcher,
    timeout: Duration,
    deadline: Instant,
}

/// `SIGKILL`, or `exit status 3`.
pub(crate) fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exited with status {c}"),
        (None, Some(s)) => match Signal::from_raw(s) {
            Ok(sig) => format!("was killed by {sig}"),
            Err(_) => format!("was killed by signal {s}"),
        },
        _ => format!("ended ({status})"),
    }
}

impl Workers {
    /// No workers yet; the deadline runs from now.
    pub(crate) fn new(mech: Mech, catcher: Catcher, timeout: Duration) -> Workers {
        Workers {
            list: Vec::new(),
            mech,
            catcher,
            timeout,
            deadline: Instant::now() + timeout,
        }
    }

    /// Adds a started worker.
    pub(crate) fn push(&mut self, share: Share, child: Child) {
        self.list.push(Worker {
            share,
            child,
            report: None,
            exited: None,
        });
    }

    fn name(&self, i: usize) -> String {
        let w = &self.list[i];
        format!("worker {i} (pid {}, numbers {})", w.child.id(), w.share)
    }

    /// Reports received so far.
    pub(crate) fn reported(&self) -> usize {
        self.list.iter().filter(|w| w.report.is_some()).count()
    }

    /// The index of the worker with this pid.
    pub(crate) fn index_of_pid(&self, pid: u32) -> Option<usize> {
        self.list.iter().position(|w| w.child.id() == pid)
    }

    /// Fails if SIGINT/SIGTERM/SIGHUP arrived.
    fn check_interrupt(&self) -> Result<(), Fail> {
        match self.catcher.try_recv() {
            Ok(Some(info)) => Err(Fail {
                code: 130,
                msg: format!(
                    "interrupted by {}: workers stopped, IPC objects removed",
                    info.signal()
                ),
            }),
            Ok(None) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Between two waits: fails if interrupted, if the deadline passed, or if a worker that
    /// has not reported died (or, when the last poll found nothing, exited with status 0
    /// without its report).
    pub(crate) fn check(&mut self, idle: bool) -> Result<(), Fail> {
        self.check_interrupt()?;
        for i in 0..self.list.len() {
            self.check_one(i, idle)?;
        }
        if Instant::now() >= self.deadline {
            let missing: Vec<usize> = (0..self.list.len())
                .filter(|&i| self.list[i].report.is_none())
                .collect();
            let first = missing.first().map_or(String::new(), |&i| self.name(i));
            let more = match missing.len() {
                0 | 1 => String::new(),
                k => format!(" and {} more", k - 1),
            };
            return Err(Fail::run(format!(
                "timed out after {:?} waiting via {} for {first}{more} (raise --timeout?)",
                self.timeout, self.mech
            )));
        }
        Ok(())
    }

    fn check_one(&mut self, i: usize, idle: bool) -> Result<(), Fail> {
        let mech = self.mech;
        let w = &mut self.list[i];
        if w.report.is_some() {
            return Ok(());
        }
        if w.exited.is_none() {
            if let Some(status) = w.child.try_wait().map_err(|e| Fail::run(e.to_string()))? {
                w.exited = Some((status, Instant::now()));
            }
        }
        let Some((status, when)) = w.exited else {
            return Ok(());
        };
        if status.success() && (!idle || when.elapsed() < EXIT_GRACE) {
            return Ok(());
        }
        // A Ctrl-C at the terminal reaches the workers too: say "interrupted", not "died".
        std::thread::sleep(Duration::from_millis(20));
        self.check_interrupt()?;
        let how = describe(status);
        let what = if status.success() {
            format!(", but its partial sum never arrived via {mech}")
        } else {
            format!(" before its partial sum arrived via {mech}")
        };
        Err(Fail::run(format!("{} {how}{what}", self.name(i))))
    }

    /// A stream closed before carrying a report (worker `index` if the mechanism knows):
    /// waits up to a second for the worker that died to be reaped, and names it.
    pub(crate) fn blame_closed(&mut self, index: Option<usize>) -> Fail {
        let until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < until {
            let range = match index {
                Some(i) => i..i + 1,
                None => 0..self.list.len(),
            };
            for i in range {
                if let Err(f) = self.check_one(i, false) {
                    return f;
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let who = match index {
            Some(i) => match self.list[i].exited {
                Some((status, _)) => format!("{} {} and", self.name(i), describe(status)),
                None => self.name(i),
            },
            None => "a worker".to_string(),
        };
        Fail::run(format!(
            "{who} closed its end of the {} without sending its partial sum",
            self.mech
        ))
    }

    /// Records a report after checking it: a known index, the pid of that worker, no
    /// duplicate.
    pub(crate) fn accept(&mut self, r: Report) -> Result<(), Fail> {
        let mech = self.mech;
        let i = r.index as usize;
        let Some(w) = self.list.get_mut(i) else {
            return Err(Fail::run(format!(
                "a report via {mech} names worker {i}, but there are only {}",
                self.list.len()
            )));
        };
        if w.child.id() != r.pid {
            return Err(Fail::run(format!(
                "a report via {mech} claims to be worker {i} from pid {}, but that worker is pid {}",
                r.pid,
                w.child.id()
            )));
        }
        if w.report.is_some() {
            return Err(Fail::run(format!("worker {i} reported twice via {mech}")));
        }
        w.report = Some(r);
        Ok(())
    }

    /// Once every worker reported: waits (until the deadline) for each to exit, and fails
    /// if one did not exit with status 0.
    pub(crate) fn reap_all(&mut self) -> Result<(), Fail> {
        for i in 0..self.list.len() {
            loop {
                self.check_interrupt()?;
                let w = &mut self.list[i];
                let status = match w.exited {
                    Some((s, _)) => Some(s),
                    None => w.child.try_wait().map_err(|e| Fail::run(e.to_string()))?,
                };
                if let Some(status) = status {
                    w.exited = Some((status, Instant::now()));
                    if !status.success() {
                        return Err(Fail::run(format!(
                            "{} {} after reporting via {}",
                            self.name(i),
                            describe(status),
                            self.mech
                        )));
                    }
                    break;
                }
                if Instant::now() >= self.deadline {
                    return Err(Fail::run(format!(
                        "{} reported but did not exit within the timeout",
                        self.name(i)
                    )));
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        Ok(())
    }

    /// Kills (`SIGKILL`) and reaps every worker still running.
    pub(crate) fn kill_all(&mut self) {
        for w in &mut self.list {
            if w.exited.is_none() {
                let _ = w.child.kill();
                if let Ok(status) = w.child.wait() {
                    w.exited = Some((status, Instant::now()));
                }
            }
        }
    }
}
