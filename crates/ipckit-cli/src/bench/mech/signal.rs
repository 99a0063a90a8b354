//! `signal`: ping-pong with `sigqueue` and `sigwaitinfo` of one real-time signal
//! (`SIGRTMIN+4`), blocked in both processes. The value of each signal is the message's
//! sequence number; the receiver rebuilds the message from it (a signal carries one `int`).
//!
//! The signal must stay blocked in every thread of both processes (the benchmark has a
//! watchdog thread): [`block_for_run`] blocks it in the main thread before any thread or
//! peer starts, and both inherit that mask. The peer announces itself with a hello signal,
//! whose `si_pid` tells the parent where to send.
//!
//! There is no throughput figure: sent back to back, standard signals coalesce (N sent, 1
//! delivered), real-time signals queue only up to `RLIMIT_SIGPENDING` per user (`sigqueue`
//! then fails with `EAGAIN`), and each carries 4 bytes of payload, so "MB/s" would mean
//! nothing.

use std::time::Duration;

use anyhow::Context as _;
use ipckit::signal::{self as isig, Signal, SignalSet};

use super::{Endpoint, Impl, Mechanism, Scenario, Setup};
use crate::bench::raw::signal::{self as raw, RawSigSet};
use crate::bench::verify::Pattern;

/// Offset from `SIGRTMIN` of the signal both sides use.
const RT_OFFSET: i32 = 4;
/// The value of the end-of-phase marker.
const END: i32 = -1;
/// The value of the peer's first signal, by which the parent learns its pid.
const HELLO: i32 = -2;
/// Largest message size measured: the message is rebuilt from the 4-byte value, so large
/// sizes would only measure a memcpy.
const MAX_SIZE: usize = 64;

fn signo() -> i32 {
    raw::rtmin() + RT_OFFSET
}

/// Blocks the benchmark's signal in the calling thread, so that every thread and peer
/// started afterwards has it blocked too. Call it in `main`'s thread before any thread.
pub fn block_for_run() -> anyhow::Result<()> {
    RawSigSet::of(signo())
        .and_then(|s| s.block())
        .context("pthread_sigmask (blocking the signal bench's SIGRTMIN+4)")
}

/// Ping-pong with `sigqueue` + `sigwaitinfo`.
pub struct Sig;

/// The value carrying `msg`: its sequence number, or [`END`] for the end marker.
fn encode(msg: &[u8], size: usize) -> i32 {
    if msg.len() != size {
        return END;
    }
    let h = size.min(8);
    let mut b = [0u8; 8];
    b[..h].copy_from_slice(&msg[..h]);
    (u64::from_le_bytes(b) & 0x7fff_ffff) as i32
}

/// Rebuilds the message a value stands for into `buf`.
fn decode(value: i32, pattern: &Pattern, template: &[u8], buf: &mut Vec<u8>) -> anyhow::Result<()> {
    buf.clear();
    if value == END {
        buf.extend_from_slice(crate::bench::end_marker(pattern.size()));
        return Ok(());
    }
    anyhow::ensure!(value >= 0, "unexpected signal value {value}");
    buf.extend_from_slice(template);
    pattern.stamp(value as u64, buf);
    Ok(())
}

struct Rebuild {
    size: usize,
    pattern: Pattern,
    template: Vec<u8>,
}

impl Rebuild {
    fn new(size: usize) -> Rebuild {
        let pattern = Pattern::new(size);
        let template = pattern.buffer();
        Rebuild {
            size,
            pattern,
            template,
        }
    }
}

/// ipckit's side: `ipckit::signal::queue` and `ipckit::signal::wait`.
struct IpckitSig {
    peer: u32,
    sig: Signal,
    set: SignalSet,
    r: Rebuild,
}

impl Endpoint for IpckitSig {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        isig::queue(self.peer, self.sig, encode(msg, self.r.size))?;
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        let info = isig::wait(&self.set, None)?;
        anyhow::ensure!(
            info.sender_pid() == self.peer,
            "{} from pid {} instead of the peer {}",
            info.signal(),
            info.sender_pid(),
            self.peer
        );
        decode(info.value(), &self.r.pattern, &self.r.template, buf)
    }
}

/// The raw twin: libc `sigqueue` and `sigwaitinfo`.
struct RawSig {
    peer: i32,
    signo: i32,
    set: RawSigSet,
    r: Rebuild,
}

impl Endpoint for RawSig {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        raw::sigqueue(self.peer, self.signo, encode(msg, self.r.size)).context("sigqueue")
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        let (value, pid) = self.set.wait().context("sigwaitinfo")?;
        anyhow::ensure!(
            pid == self.peer,
            "signal from pid {pid} instead of the peer"
        );
        decode(value, &self.r.pattern, &self.r.template, buf)
    }
}

impl Mechanism for Sig {
    fn name(&self) -> &'static str {
        "signal"
    }

    fn about(&self) -> &'static str {
        "sigqueue + sigwaitinfo of SIGRTMIN+4 carrying the sequence number; ipckit::signal vs raw libc"
    }

    fn check(&self, _imp: Impl, size: usize) -> Result<(), String> {
        if size > MAX_SIZE {
            return Err(format!(
                "a signal carries one int: measured only up to {MAX_SIZE} B"
            ));
        }
        Ok(())
    }

    fn has_throughput(&self) -> bool {
        false
    }

    fn note(&self) -> Option<&'static str> {
        Some(
            "latency only: a signal carries one int (the sequence number; the message is \
             rebuilt from it); no throughput because standard signals coalesce, real-time \
             ones queue only up to RLIMIT_SIGPENDING",
        )
    }

    fn setup(&self, sc: &Scenario) -> anyhow::Result<Setup> {
        let size = sc.size;
        let set = RawSigSet::of(signo()).context("sigaddset")?;
        // Leftovers of an earlier scenario that failed must not be read as this one's.
        while set.wait_timeout(Duration::ZERO)?.is_some() {}
        let imp = sc.imp;
        Ok(Setup {
            args: Vec::new(),
            inherit: Vec::new(),
            command: None,
            connect: Box::new(move || {
                let (value, pid) = set
                    .wait_timeout(Duration::from_secs(10))
                    .context("sigtimedwait (the peer's hello)")?
                    .context("the peer sent no hello signal within 10 s")?;
                anyhow::ensure!(
                    value == HELLO,
                    "expected the peer's hello, got value {value}"
                );
                Ok(match imp {
                    Impl::Raw => Box::new(RawSig {
                        peer: pid,
                        signo: signo(),
                        set,
                        r: Rebuild::new(size),
                    }) as Box<dyn Endpoint>,
                    Impl::Ipckit => {
                        let sig = Signal::realtime(RT_OFFSET as u32)?;
                        Box::new(IpckitSig {
                            peer: pid as u32,
                            sig,
                            set: SignalSet::from(sig),
                            r: Rebuild::new(size),
                        })
                    }
                })
            }),
        })
    }

    fn peer(&self, sc: &Scenario, _args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let r = Rebuild::new(sc.size);
        match sc.imp {
            Impl::Raw => {
                let set = RawSigSet::of(signo()).context("sigaddset")?;
                set.block()?; // inherited already; the peer is single-threaded
                let parent = sc.parent as i32;
                raw::sigqueue(parent, signo(), HELLO).context("sigqueue (hello)")?;
                Ok(Box::new(RawSig {
                    peer: parent,
                    signo: signo(),
                    set,
                    r,
                }))
            }
            Impl::Ipckit => {
                let sig = Signal::realtime(RT_OFFSET as u32)?;
                let set = SignalSet::from(sig);
                // Inherited already; kept blocked for the life of the peer.
                std::mem::forget(isig::block(&set)?);
                isig::queue(sc.parent, sig, HELLO)?;
                Ok(Box::new(IpckitSig {
                    peer: sc.parent,
                    sig,
                    set,
                    r,
                }))
            }
        }
    }
}
