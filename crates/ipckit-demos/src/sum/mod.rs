//! `parallel-sum`: the study notes' first scenario, summing 1..M with N worker processes.
//!
//! The master splits 1..=M into N contiguous shares ([`shares`]), starts N workers (it
//! re-executes its own binary, never a bare `fork`), and each worker adds the numbers of its
//! share in a loop (no closed form: that work is what runs in parallel) and sends its
//! partial sum and pid back through the mechanism chosen with `--via` ([`Mech`]). The
//! master checks the total against M(M+1)/2.
//!
//! Every wait of the master has a deadline (`--timeout`), a worker that dies before
//! reporting makes it fail with an error naming the worker and the mechanism, and every IPC
//! object it created is removed on success, failure and `SIGINT`/`SIGTERM`/`SIGHUP`.
//!
//! Exit status: 0 when the total is right, 1 when it is wrong, 2 for bad arguments (among
//! them `--via signal` with a partial sum that does not fit in an `int`), 3 when a worker or
//! the IPC failed (a worker died, a timeout), 130 when interrupted.

use std::fmt;
use std::process::ExitCode;

use clap::ValueEnum;

mod cli;
mod master;
mod output;
mod supervise;
mod transport;
mod worker;

/// How the workers send their partial sums back (`--via`).
///
/// The channel-based ones (`fifo`, `unix`, `tcp`, `sysv-mq`, `posix-mq`, `shm-ring`) go
/// and `file` go through [`ipckit::channel`] addresses; the others use their module
/// directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
#[non_exhaustive]
pub enum Mech {
    /// One anonymous pipe per worker (`ipckit::pipe`), the write end inherited as fd 3;
    /// one framed message each.
    Pipe,
    /// One FIFO shared by all workers (`fifo:PATH`); each frame is at most `PIPE_BUF`
    /// bytes, so written atomically.
    Fifo,
    /// A Unix stream socket (`unix:PATH`), one connection per worker.
    Unix,
    /// TCP on the loopback interface (`tcp:127.0.0.1:PORT`), one connection per worker.
    Tcp,
    /// A System V message queue (`sysv-mq:KEY`), one message per worker.
    SysvMq,
    /// A POSIX message queue (`posix-mq:/NAME`), one message per worker.
    PosixMq,
    /// A System V shared memory segment, one slot per worker; completion counted on a
    /// System V semaphore.
    SysvShm,
    /// A POSIX shared memory object, one slot per worker; completion counted on a POSIX
    /// (unnamed, process-shared) semaphore inside the object.
    PosixShm,
    /// The shared-memory ring (`shm-ring:@NAME`), one connection per worker.
    ShmRing,
    /// An append-only spool file (`file:PATH`, [`ipckit::file`]): each worker appends its
    /// report as one frame under an exclusive lock, the master follows the file with
    /// inotify.
    File,
    /// One `sigqueue(3)` per worker carrying its partial sum as the `int` value: refused
    /// before anything starts when a partial sum does not fit in an `i32` (`--to 10000
    /// --workers 10` fits, `--to 10^6` does not).
    Signal,
}

impl Mech {
    /// The name as typed after `--via` (`"sysv-shm"`).
    ///
    /// # Examples
    /// ```
    /// use ipckit_demos::sum::Mech;
    /// assert_eq!(Mech::SysvShm.name(), "sysv-shm");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Mech::Pipe => "pipe",
            Mech::Fifo => "fifo",
            Mech::Unix => "unix",
            Mech::Tcp => "tcp",
            Mech::SysvMq => "sysv-mq",
            Mech::PosixMq => "posix-mq",
            Mech::SysvShm => "sysv-shm",
            Mech::PosixShm => "posix-shm",
            Mech::ShmRing => "shm-ring",
            Mech::File => "file",
            Mech::Signal => "signal",
        }
    }
}

impl fmt::Display for Mech {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One worker's contiguous part of 1..=M: the numbers `from..=to`, empty when `from > to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// The first number of the share.
    pub from: u64,
    /// The last number of the share (below `from` for an empty share).
    pub to: u64,
}

impl Share {
    /// How many numbers the share holds.
    ///
    /// # Examples
    /// ```
    /// use ipckit_demos::sum::Share;
    /// assert_eq!(Share { from: 3, to: 5 }.len(), 3);
    /// assert_eq!(Share { from: 4, to: 3 }.len(), 0);
    /// ```
    pub fn len(&self) -> u64 {
        if self.from > self.to {
            0
        } else {
            self.to - self.from + 1
        }
    }

    /// Whether the share is empty (more workers than numbers).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sum of the share by the closed form, `(from + to) × len / 2`: what the master
    /// expects, never what a worker computes.
    ///
    /// # Examples
    /// ```
    /// use ipckit_demos::sum::Share;
    /// assert_eq!(Share { from: 1, to: 10_000 }.expected_sum(), 50_005_000);
    /// ```
    pub fn expected_sum(&self) -> u128 {
        if self.is_empty() {
            return 0;
        }
        (self.from as u128 + self.to as u128) * self.len() as u128 / 2
    }

    /// Adds the numbers of the share one by one, the work a worker does: a loop of
    /// `len()` additions into a `u128` (which cannot overflow for any `u64` range), each
    /// number passed through [`std::hint::black_box`] so the compiler cannot replace the
    /// loop by the closed form.
    ///
    /// # Examples
    /// ```
    /// use ipckit_demos::sum::Share;
    /// let s = Share { from: 1001, to: 2000 };
    /// assert_eq!(s.add_up(), s.expected_sum());
    /// ```
    pub fn add_up(&self) -> u128 {
        let mut acc: u128 = 0;
        if self.is_empty() {
            return acc;
        }
        for k in self.from..=self.to {
            acc += std::hint::black_box(k) as u128;
        }
        acc
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            f.write_str("(none)")
        } else {
            write!(f, "{}..={}", self.from, self.to)
        }
    }
}

/// Splits 1..=`to` into `workers` contiguous shares, in order: the first `to % workers`
/// shares hold one number more than the others; with more workers than numbers the last
/// ones are empty.
///
/// # Panics
/// If `workers` is 0.
///
/// # Examples
/// ```
/// use ipckit_demos::sum::{shares, Share};
/// let s = shares(10, 3);
/// assert_eq!(s, [Share { from: 1, to: 4 }, Share { from: 5, to: 7 }, Share { from: 8, to: 10 }]);
/// assert!(shares(2, 3)[2].is_empty());
/// ```
pub fn shares(to: u64, workers: usize) -> Vec<Share> {
    assert!(workers > 0, "shares: no workers");
    let n = workers as u64;
    let (base, extra) = (to / n, to % n);
    let mut next = 1u64;
    (0..n)
        .map(|i| {
            let len = base + u64::from(i < extra);
            let share = Share {
                from: next,
                to: next + len - 1,
            };
            next += len;
            share
        })
        .collect()
}

/// The expected total, M(M+1)/2, in a `u128` (no overflow for any `u64` M).
///
/// # Examples
/// ```
/// assert_eq!(ipckit_demos::sum::expected_total(10_000), 50_005_000);
/// ```
pub fn expected_total(to: u64) -> u128 {
    to as u128 * (to as u128 + 1) / 2
}

/// The `parallel-sum` program: parses the command line and runs the master, or a worker
/// when started by the master. Returns the exit status (see the [module docs](self)).
pub fn main() -> ExitCode {
    cli::main()
}

/// A failure that ends the program: its exit status and message.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) code: u8,
    pub(crate) msg: String,
}

impl Fail {
    /// Bad arguments (exit 2).
    pub(crate) fn usage(msg: impl Into<String>) -> Fail {
        Fail {
            code: 2,
            msg: msg.into(),
        }
    }

    /// A worker or IPC failure (exit 3).
    pub(crate) fn run(msg: impl Into<String>) -> Fail {
        Fail {
            code: 3,
            msg: msg.into(),
        }
    }
}

impl From<ipckit::Error> for Fail {
    fn from(e: ipckit::Error) -> Fail {
        Fail::run(e.to_string())
    }
}

/// The message a worker sends: magic, index, pid, partial sum; 32 bytes, little-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Report {
    pub(crate) index: u32,
    pub(crate) pid: u32,
    pub(crate) partial: u128,
}

impl Report {
    /// Its encoded length (fits in one atomic pipe write).
    pub(crate) const LEN: usize = 32;
    const MAGIC: [u8; 8] = *b"PSUMv1\0\0";

    pub(crate) fn encode(&self) -> [u8; Report::LEN] {
        let mut b = [0u8; Report::LEN];
        b[..8].copy_from_slice(&Report::MAGIC);
        b[8..12].copy_from_slice(&self.index.to_le_bytes());
        b[12..16].copy_from_slice(&self.pid.to_le_bytes());
        b[16..32].copy_from_slice(&self.partial.to_le_bytes());
        b
    }

    /// Decodes a message; `None` for a wrong length or magic (also an all-zero slot).
    pub(crate) fn decode(b: &[u8]) -> Option<Report> {
        if b.len() != Report::LEN || b[..8] != Report::MAGIC {
            return None;
        }
        Some(Report {
            index: u32::from_le_bytes(b[8..12].try_into().ok()?),
            pid: u32::from_le_bytes(b[12..16].try_into().ok()?),
            partial: u128::from_le_bytes(b[16..32].try_into().ok()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_1_to_m_in_order() {
        for to in [0u64, 1, 2, 9, 10, 11, 10_000, 10_007] {
            for n in [1usize, 2, 3, 7, 10, 13, 64] {
                let s = shares(to, n);
                assert_eq!(s.len(), n);
                let mut next = 1;
                for sh in &s {
                    assert_eq!(sh.from, next);
                    next += sh.len();
                }
                assert_eq!(next, to + 1, "to={to} n={n}");
                let total: u128 = s.iter().map(Share::expected_sum).sum();
                assert_eq!(total, expected_total(to));
                let (min, max) = (
                    s.iter().map(Share::len).min().unwrap(),
                    s.iter().map(Share::len).max().unwrap(),
                );
                assert!(max - min <= 1);
            }
        }
    }

    #[test]
    fn add_up_matches_closed_form() {
        for sh in [
            Share { from: 1, to: 1 },
            Share { from: 5, to: 4 },
            Share {
                from: u64::MAX - 3,
                to: u64::MAX,
            },
        ] {
            assert_eq!(sh.add_up(), sh.expected_sum());
        }
    }

    #[test]
    fn report_round_trips_and_rejects_garbage() {
        let r = Report {
            index: 7,
            pid: 4242,
            partial: u128::MAX - 1,
        };
        assert_eq!(Report::decode(&r.encode()), Some(r));
        assert_eq!(Report::decode(&[0; Report::LEN]), None);
        assert_eq!(Report::decode(&r.encode()[..31]), None);
    }
}
