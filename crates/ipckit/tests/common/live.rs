//! [`Live`]: a peer whose lines are read while it runs, every read bounded by a deadline.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::{Peer, SAY_PREFIX};

/// How long a test waits for a peer's next line, or for its end, before it fails (and kills
/// the peer): far above what a loaded machine needs, so that only a stuck peer reaches it.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(60);

/// A peer process whose output is read line by line while it runs (by a thread, so that
/// every wait has a deadline, [`PEER_TIMEOUT`]). Killed and reaped when dropped, so a
/// failing test never leaves it behind.
pub struct Live {
    peer: Option<Peer>,
    role: String,
    /// Every line the peer prints on stdout, until it closes it.
    lines: Receiver<String>,
    /// What it printed so far, for the failure messages.
    seen: Vec<String>,
}

/// What the peer [`say`](super::say)s on this line of its output, if anything (libtest may
/// print `test peer ... ` before it on the same line).
pub fn said(line: &str) -> Option<&str> {
    line.find(SAY_PREFIX)
        .map(|i| line[i + SAY_PREFIX.len()..].trim_end())
}

impl Live {
    /// Starts `role` with `args`, its stdin a pipe (closed by [`Live::finish`]).
    pub fn spawn(role: &str, args: &[&str]) -> Live {
        let mut cmd = Peer::command(role, args);
        cmd.stdin(Stdio::piped());
        Live::from_command(role, cmd)
    }

    /// Starts a command made by [`Peer::command`] (its stdout must stay piped).
    pub fn from_command(role: &str, cmd: Command) -> Live {
        let mut peer = Peer::from_command(cmd);
        let out = peer.child_mut().stdout.take().expect("peer stdout piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Live {
            peer: Some(peer),
            role: role.to_string(),
            lines,
            seen: Vec::new(),
        }
    }

    /// The peer's pid.
    pub fn pid(&self) -> u32 {
        self.peer.as_ref().expect("peer").pid()
    }

    /// Writes `line` and a newline to the peer's stdin (a pipe when started by
    /// [`Live::spawn`]): a cue for a peer that waits for one.
    pub fn send_line(&mut self, line: &str) {
        use std::io::Write;
        let child = self.peer.as_mut().expect("peer").child_mut();
        let input = child.stdin.as_mut().expect("peer stdin piped and open");
        input
            .write_all(format!("{line}\n").as_bytes())
            .expect("write to peer");
        input.flush().expect("flush to peer");
    }

    /// Closes the peer's stdin now (its signal to finish), without waiting for it to end.
    pub fn close_stdin(&mut self) {
        drop(self.peer.as_mut().expect("peer").child_mut().stdin.take());
    }

    /// Fails the test: kills the peer (in drop) and panics with `why` and what it printed.
    fn fail(&mut self, why: &str) -> ! {
        if let Some(p) = &mut self.peer {
            let _ = p.child_mut().kill();
        }
        panic!(
            "peer {}: {why}; it printed:\n{}",
            self.role,
            self.seen.join("\n")
        );
    }

    /// The next printed line until `deadline`; `None` once the peer closed its stdout.
    fn next_raw(&mut self, deadline: Instant) -> Option<String> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => {
                self.seen.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => self.fail(&format!(
                "printed nothing more within {PEER_TIMEOUT:?} (stuck?)"
            )),
        }
    }

    /// The next line the peer [`say`](super::say)s, waiting at most [`PEER_TIMEOUT`].
    ///
    /// # Panics
    /// If the peer ends first or says nothing in time (the peer is killed).
    pub fn line(&mut self) -> String {
        let deadline = Instant::now() + PEER_TIMEOUT;
        loop {
            let Some(line) = self.next_raw(deadline) else {
                self.fail("ended without saying the expected line")
            };
            if let Some(s) = said(&line) {
                return s.to_string();
            }
        }
    }

    /// Closes the peer's stdin (its signal to finish), waits at most [`PEER_TIMEOUT`] for it
    /// to end, asserts it succeeded, and returns the remaining lines it said.
    ///
    /// # Panics
    /// If the peer failed or did not end in time (it is killed).
    pub fn finish(mut self) -> Vec<String> {
        self.close_stdin();
        let deadline = Instant::now() + PEER_TIMEOUT;
        let mut rest = Vec::new();
        while let Some(line) = self.next_raw(deadline) {
            if let Some(s) = said(&line) {
                rest.push(s.to_string());
            }
        }
        let status = loop {
            let peer = self.peer.as_mut().expect("peer");
            match peer.child_mut().try_wait().expect("wait for peer") {
                Some(status) => break status,
                None if Instant::now() >= deadline => self.fail("did not exit in time"),
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        self.peer = None;
        if !status.success() {
            panic!(
                "peer {} failed: {status:?}; it printed:\n{}",
                self.role,
                self.seen.join("\n")
            );
        }
        rest
    }

    /// Kills the peer with SIGKILL and reaps it.
    pub fn kill(mut self) {
        let mut peer = self.peer.take().expect("peer");
        peer.child_mut().kill().expect("kill peer");
        let _ = peer.wait();
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(peer) = &mut self.peer {
            let _ = peer.child_mut().kill();
            let _ = peer.child_mut().wait();
        }
    }
}
