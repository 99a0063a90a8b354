//! `signal`: ping-pong with `sigqueue` and `sigwaitinfo` of one real-time signal
//! (`SIGRTMIN+4`), blocked in both processes. The value of each signal is the message's
//! sequence number; the receiver rebuilds the message from it (a signal carries one `int`;
//! [`crate::common::signal`]). Raw twin: [`crate::raw::signal::Raw`].
//!
//! The signal must stay blocked in every thread of both processes (the benchmark has a
//! watchdog thread): [`crate::raw::sys::signal::block_for_run`] blocks it in the main thread
//! before any thread or peer starts, and both inherit that mask. The peer announces itself
//! with a hello signal, whose `si_pid` tells the parent where to send; both twins' parents
//! wait for it the same way ([`crate::raw::signal::parent_setup`], not measured).
//!
//! There is no throughput figure: sent back to back, standard signals coalesce (N sent, 1
//! delivered), real-time signals queue only up to `RLIMIT_SIGPENDING` per user (`sigqueue`
//! then fails with `EAGAIN`), and each carries 4 bytes of payload, so "MB/s" would mean
//! nothing.

use ipckit::signal::{self as isig, Signal, SignalSet};

use crate::common::signal::{encode, Rebuild, HELLO, RT_OFFSET};
use crate::scenario::{Case, Endpoint, Mechanism, Scenario, Setup};

/// The `signal` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "signal",
    about: "sigqueue + sigwaitinfo of SIGRTMIN+4 carrying the sequence number; ipckit::signal vs raw libc",
    note: Some(
        "latency only: a signal carries one int (the sequence number; the message is \
         rebuilt from it); no throughput because standard signals coalesce, real-time \
         ones queue only up to RLIMIT_SIGPENDING",
    ),
    has_throughput: false,
    check: crate::common::signal::check,
    ipckit: &Ipckit,
    raw: &crate::raw::signal::Raw,
};

/// Ping-pong with `ipckit::signal::queue` and `ipckit::signal::wait`.
pub struct Ipckit;

/// ipckit's endpoint.
struct IpckitSig {
    peer: u32,
    sig: Signal,
    set: SignalSet,
    r: Rebuild,
}

impl Endpoint for IpckitSig {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        isig::queue(self.peer, self.sig, encode(msg, self.r.size()))?;
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
        self.r.decode(info.value(), buf)
    }
}

impl Scenario for Ipckit {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let size = case.size;
        crate::raw::signal::parent_setup(move |pid, _set| {
            let sig = Signal::realtime(RT_OFFSET as u32)?;
            Ok(Box::new(IpckitSig {
                peer: pid as u32,
                sig,
                set: SignalSet::from(sig),
                r: Rebuild::new(size),
            }) as Box<dyn Endpoint>)
        })
    }

    fn peer(&self, case: &Case, _args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let sig = Signal::realtime(RT_OFFSET as u32)?;
        let set = SignalSet::from(sig);
        // Inherited already; kept blocked for the life of the peer.
        std::mem::forget(isig::block(&set)?);
        isig::queue(case.parent, sig, HELLO)?;
        Ok(Box::new(IpckitSig {
            peer: case.parent,
            sig,
            set,
            r: Rebuild::new(case.size),
        }))
    }
}
