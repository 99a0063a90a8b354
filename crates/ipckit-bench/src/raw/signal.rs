//! `signal`, raw: libc `sigqueue` and `sigwaitinfo` of `SIGRTMIN+4`, blocked in both
//! processes (see [`crate::mech::signal`]).

use std::time::Duration;

use anyhow::Context as _;

use super::sys::signal::{sigqueue, RawSigSet};
use crate::common::signal::{encode, signo, Rebuild, HELLO};
use crate::scenario::{Case, Endpoint, Scenario, Setup};

/// The raw twin of [`crate::mech::signal::Ipckit`].
pub struct Raw;

/// The raw endpoint: libc `sigqueue` and `sigwaitinfo`.
struct RawSig {
    peer: i32,
    signo: i32,
    set: RawSigSet,
    r: Rebuild,
}

impl Endpoint for RawSig {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        sigqueue(self.peer, self.signo, encode(msg, self.r.size())).context("sigqueue")
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        let (value, pid) = self.set.wait().context("sigwaitinfo")?;
        anyhow::ensure!(
            pid == self.peer,
            "signal from pid {pid} instead of the peer"
        );
        self.r.decode(value, buf)
    }
}

/// Parent: drains leftovers of an earlier scenario, then waits (in `connect`) for the
/// peer's hello, whose `si_pid` tells where to send. Shared with the ipckit twin, which
/// then builds its own endpoint from the pid.
///
/// # Errors
/// `sigaddset`/`sigtimedwait` failed.
pub fn parent_setup(
    make: impl FnOnce(i32, RawSigSet) -> anyhow::Result<Box<dyn Endpoint>> + 'static,
) -> anyhow::Result<Setup> {
    let set = RawSigSet::of(signo()).context("sigaddset")?;
    // Leftovers of an earlier scenario that failed must not be read as this one's.
    while set.wait_timeout(Duration::ZERO)?.is_some() {}
    Ok(Setup::new(Vec::new(), move || {
        let (value, pid) = set
            .wait_timeout(Duration::from_secs(10))
            .context("sigtimedwait (the peer's hello)")?
            .context("the peer sent no hello signal within 10 s")?;
        anyhow::ensure!(
            value == HELLO,
            "expected the peer's hello, got value {value}"
        );
        make(pid, set)
    }))
}

impl Scenario for Raw {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let size = case.size;
        parent_setup(move |pid, set| {
            Ok(Box::new(RawSig {
                peer: pid,
                signo: signo(),
                set,
                r: Rebuild::new(size),
            }) as Box<dyn Endpoint>)
        })
    }

    fn peer(&self, case: &Case, _args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let set = RawSigSet::of(signo()).context("sigaddset")?;
        set.block()?; // inherited already; the peer is single-threaded
        let parent = case.parent as i32;
        sigqueue(parent, signo(), HELLO).context("sigqueue (hello)")?;
        Ok(Box::new(RawSig {
            peer: parent,
            signo: signo(),
            set,
            r: Rebuild::new(case.size),
        }))
    }
}
