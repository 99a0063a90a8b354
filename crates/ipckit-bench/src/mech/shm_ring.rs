//! `shm-ring`, `shm-ring-zc`, `shm-ring-futex`: ipckit's shared-memory ring
//! ([`ipckit::ring`]), one `memfd_create` ring per direction of 4 MiB
//! ([`crate::common::ring::CAPACITY`]), handed over by the parent's ring listener on an
//! abstract Unix address. Raw twin: [`crate::raw::shm_ring::Raw`], a minimal SPSC ring of the
//! same layout over memfds the peer inherits.
//!
//! - `shm-ring`: copy mode, [`Sender::send`] from the harness's buffer and
//!   [`Receiver::recv`] into a reused one; the default spin window.
//! - `shm-ring-zc`: zero copy, the message written in place in a [`Sender::reserve`] grant
//!   and verified in place in a [`Receiver::recv_ref`] record; the peer's echo copies each
//!   record straight into a grant of the other ring. The default spin window.
//! - `shm-ring-futex`: copy mode with a spin window of 0, so every wait sleeps on the futex:
//!   a round trip with a sleeping receiver.

use std::time::Duration;

use ipckit::net::unix::SocketAddr;
use ipckit::ring::{self, Connection, Receiver, Sender};

use crate::common::arg;
use crate::common::is_end;
use crate::common::ring::{check_size, CAPACITY};
use crate::scenario::{Case, Endpoint, Mechanism, Scenario, Setup, ZeroCopy};

/// The `shm-ring` row: copy mode, default spin window.
pub const MECHANISM: Mechanism = Mechanism {
    name: "shm-ring",
    about: "ipckit::ring (memfd SPSC ring per direction, 4 MiB, spin 50 us then futex), copy mode send/recv vs a raw busy-spinning ring",
    note: Some("copy mode, Sender::send from the sender's buffer and Receiver::recv into a reused buffer (a copy in and a copy out per message), spin window 50 us then futex; raw: the same ring layout and reads, busy-spinning (sched_yield every ~50 us of polls), same copies"),
    has_throughput: true,
    check: check_size,
    ipckit: &Ipckit {
        zero_copy: false,
        spin: ring::DEFAULT_SPIN,
    },
    raw: &crate::raw::shm_ring::Raw {
        zero_copy: false,
        futex: false,
    },
};

/// The `shm-ring-zc` row: zero-copy mode, default spin window.
pub const MECHANISM_ZC: Mechanism = Mechanism {
    name: "shm-ring-zc",
    about: "ipckit::ring zero copy: reserve/commit a grant written in place, recv_ref a record verified in place; vs the raw ring doing the same",
    note: Some("zero copy, the sender writes the message in place (Sender::reserve + Grant::commit), the receiver verifies it in place (Receiver::recv_ref, drop releases), no copy out; the echo copies record to grant directly; writing and verifying fall inside the timed round trip (the copy rows stamp and verify outside it); raw: the same on the raw ring"),
    has_throughput: true,
    check: check_size,
    ipckit: &Ipckit {
        zero_copy: true,
        spin: ring::DEFAULT_SPIN,
    },
    raw: &crate::raw::shm_ring::Raw {
        zero_copy: true,
        futex: false,
    },
};

/// The `shm-ring-futex` row: copy mode, no spinning.
pub const MECHANISM_FUTEX: Mechanism = Mechanism {
    name: "shm-ring-futex",
    about: "ipckit::ring with spin window 0 (every wait sleeps on the futex) vs a raw futex ring (flag, fence, FUTEX_WAIT/FUTEX_WAKE)",
    note: Some("copy mode with spin window 0, so every blocked call sleeps in FUTEX_WAIT (a round trip with a sleeping receiver); raw: the same ring with a plain futex hand-off (waiter flag, SeqCst fence, FUTEX_WAIT on the index, FUTEX_WAKE when the flag is set), as `pp futex`"),
    has_throughput: true,
    check: check_size,
    ipckit: &Ipckit {
        zero_copy: false,
        spin: Duration::ZERO,
    },
    raw: &crate::raw::shm_ring::Raw {
        zero_copy: false,
        futex: true,
    },
};

/// The ring through ipckit: copy or zero-copy mode, with a spin window.
pub struct Ipckit {
    /// Whether the harness writes and verifies messages in place.
    pub zero_copy: bool,
    /// The spin window of both sides.
    pub spin: Duration,
}

/// One side's halves of a ring connection.
struct RingEndpoint {
    tx: Sender,
    rx: Receiver,
    zero_copy: bool,
    /// Keeps the parent's listener (its abstract address) for the scenario's lifetime.
    _listener: Option<ring::Listener>,
}

impl RingEndpoint {
    fn new(c: Connection, zero_copy: bool, listener: Option<ring::Listener>) -> RingEndpoint {
        let (tx, rx) = c.split();
        RingEndpoint {
            tx,
            rx,
            zero_copy,
            _listener: listener,
        }
    }
}

impl Endpoint for RingEndpoint {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        Ok(self.tx.send(msg)?)
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        self.rx.recv(buf)?;
        Ok(())
    }

    fn zero_copy(&mut self) -> Option<&mut dyn ZeroCopy> {
        if self.zero_copy {
            Some(self)
        } else {
            None
        }
    }
}

impl ZeroCopy for RingEndpoint {
    fn send_in_place(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8])) -> anyhow::Result<()> {
        let mut g = self.tx.reserve(len)?;
        fill(&mut g);
        g.commit();
        Ok(())
    }

    fn recv_in_place(&mut self, read: &mut dyn FnMut(&[u8])) -> anyhow::Result<()> {
        let rec = self.rx.recv_ref()?;
        read(&rec);
        Ok(())
    }

    fn echo_in_place(
        &mut self,
        size: usize,
        tamper: &mut dyn FnMut(&mut [u8]),
    ) -> anyhow::Result<bool> {
        let rec = self.rx.recv_ref()?;
        if is_end(&rec, size) {
            return Ok(false);
        }
        let mut g = self.tx.reserve(rec.len())?;
        g.copy_from_slice(&rec);
        tamper(&mut g);
        g.commit();
        Ok(true)
    }
}

impl Scenario for Ipckit {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        // An abstract address: nothing on the file system, gone with the socket.
        let addr: SocketAddr = format!("@{}", case.unique("ring")).parse()?;
        let listener = ring::Listener::builder(&addr)
            .max_capacity(CAPACITY)
            .spin(self.spin)
            .create_new()?;
        let zero_copy = self.zero_copy;
        Ok(Setup::new(vec![addr.to_string()], move || {
            let c = listener.accept()?;
            Ok(Box::new(RingEndpoint::new(c, zero_copy, Some(listener))) as _)
        }))
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let addr: SocketAddr = arg(args, 0, "ring address")?.parse()?;
        let c = Connection::builder(&addr)
            .capacity(CAPACITY)
            .spin(self.spin)
            .connect()?;
        Ok(Box::new(RingEndpoint::new(c, self.zero_copy, None)))
    }
}
