//! `shm-ring`, `shm-ring-zc`, `shm-ring-futex`, raw: two `memfd_create` rings of the
//! `ipckit::ring` layout, inherited by the peer as fds, driven by the minimal SPSC ring of
//! [`super::sys::ring`]: busy-spinning (the first two rows) or a plain futex hand-off (the
//! third). Same record bytes (length word, payload, padding), same copies as the ipckit side.

use anyhow::Context as _;

use super::sys::ring::{memfd_ring, Consumer, Producer, Wait};
use crate::common::{arg, fd_arg, is_end};
use crate::scenario::{Case, Endpoint, Scenario, Setup, ZeroCopy};

/// The raw twin of [`crate::mech::shm_ring::Ipckit`].
pub struct Raw {
    /// Whether the harness writes and verifies messages in place.
    pub zero_copy: bool,
    /// Futex hand-off instead of a busy spin.
    pub futex: bool,
}

impl Raw {
    fn wait(&self) -> Wait {
        if self.futex {
            Wait::Futex
        } else {
            Wait::Spin
        }
    }
}

/// One side: the producer of one ring and the consumer of the other.
struct RawRingEndpoint {
    tx: Producer,
    rx: Consumer,
    zero_copy: bool,
}

impl Endpoint for RawRingEndpoint {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        Ok(self
            .tx
            .send_with(msg.len(), |out| out.copy_from_slice(msg))?)
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        self.rx.recv_with(|rec| {
            buf.clear();
            buf.extend_from_slice(rec);
        })?;
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

impl ZeroCopy for RawRingEndpoint {
    fn send_in_place(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8])) -> anyhow::Result<()> {
        Ok(self.tx.send_with(len, fill)?)
    }

    fn recv_in_place(&mut self, read: &mut dyn FnMut(&[u8])) -> anyhow::Result<()> {
        Ok(self.rx.recv_with(read)?)
    }

    fn echo_in_place(
        &mut self,
        size: usize,
        tamper: &mut dyn FnMut(&mut [u8]),
    ) -> anyhow::Result<bool> {
        let tx = &mut self.tx;
        self.rx.recv_with(|rec| {
            if is_end(rec, size) {
                return Ok(false);
            }
            tx.send_with(rec.len(), |out| {
                out.copy_from_slice(rec);
                tamper(out);
            })?;
            Ok(true)
        })?
    }
}

impl Scenario for Raw {
    fn setup(&self, _case: &Case) -> anyhow::Result<Setup> {
        // Ring 0 carries parent to peer, ring 1 back. The parent's mappings keep the memory;
        // its fds are closed by the harness once the peer has inherited them.
        let a = memfd_ring().context("memfd_create")?;
        let b = memfd_ring().context("memfd_create")?;
        let ep = RawRingEndpoint {
            tx: Producer::new(&a, self.wait()).context("mmap")?,
            rx: Consumer::new(&b, self.wait()).context("mmap")?,
            zero_copy: self.zero_copy,
        };
        let mut s = Setup::new(vec![fd_arg(&a), fd_arg(&b)], move || Ok(Box::new(ep) as _));
        s.inherit = vec![a, b];
        Ok(s)
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let a = super::inherited(arg(args, 0, "ring fd (parent to peer)")?)?;
        let b = super::inherited(arg(args, 1, "ring fd (peer to parent)")?)?;
        Ok(Box::new(RawRingEndpoint {
            tx: Producer::new(&b, self.wait()).context("mmap")?,
            rx: Consumer::new(&a, self.wait()).context("mmap")?,
            zero_copy: self.zero_copy,
        }))
    }
}
