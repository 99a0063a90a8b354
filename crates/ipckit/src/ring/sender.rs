//! The producer half: [`Sender`] and its in-place [`Grant`].

use std::ops::{Deref, DerefMut};
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::shm::{Flag, Ring, SKIP};
use super::wait::{self, SharedLink, Side, Until, WaitConfig};
use crate::net::unix::PeerCred;
use crate::{Error, ErrorKind, Result};

const SIDE: Side = Side {
    waiter: Flag::SpaceWaiter,
    peer_closed: Flag::ConsumerClosed,
    op: "ring send",
};

/// The bytes a record of `len` payload bytes occupies: the 8-byte length word and the payload
/// padded to 8.
#[inline]
pub(super) fn record_size(len: u64) -> u64 {
    8 + ((len + 7) & !7)
}

/// The sending half of a ring connection: the producer of one direction.
///
/// Made by [`Connection::split`](super::Connection::split) (or borrowed with
/// [`Connection::sender`](super::Connection::sender)). Methods take `&mut self`: one thread
/// produces at a time, which is what makes the ring single-producer.
#[derive(Debug)]
pub struct Sender {
    pub(super) ring: Ring,
    /// Our index: bytes published so far (never read back from shared memory).
    pub(super) tail: u64,
    /// The consumer index as last read (validated).
    pub(super) head: u64,
    broken: bool,
    pub(super) cfg: WaitConfig,
    pub(super) link: SharedLink,
}

impl Sender {
    pub(super) fn new(ring: Ring, cfg: WaitConfig, link: SharedLink) -> Sender {
        Sender {
            ring,
            tail: 0,
            head: 0,
            broken: false,
            cfg,
            link,
        }
    }

    /// The ring's capacity in bytes (a power of two): records plus their 8-byte length words
    /// and padding.
    pub fn capacity(&self) -> usize {
        self.ring.capacity() as usize
    }

    /// The largest message this ring carries, in bytes: half its capacity. Larger ones fail
    /// with [`ErrorKind::TooLarge`] before anything is written.
    pub fn max_message(&self) -> usize {
        self.ring.max_message() as usize
    }

    /// The peer's credentials (`SO_PEERCRED`) as seen at the handshake.
    pub fn peer_cred(&self) -> PeerCred {
        self.link.cred
    }

    /// Sends `msg` as one record (a copy into the ring), waiting for space as long as the
    /// peer lives: spins for the spin window, then sleeps on a futex.
    ///
    /// # Errors
    /// - [`ErrorKind::TooLarge`] if `msg` is longer than [`Sender::max_message`].
    /// - [`ErrorKind::PeerGone`] if the receiver was dropped or its process died.
    /// - [`ErrorKind::InvalidData`] if the peer corrupted the consumer index.
    ///
    /// # Examples
    /// See the [module docs](super).
    #[inline]
    pub fn send(&mut self, msg: &[u8]) -> Result<()> {
        self.send_until(msg, Until::Forever)
    }

    /// As [`Sender::send`], but fails with [`ErrorKind::WouldBlock`] instead of waiting for
    /// space.
    ///
    /// # Errors
    /// As [`Sender::send`], and [`ErrorKind::WouldBlock`].
    #[inline]
    pub fn try_send(&mut self, msg: &[u8]) -> Result<()> {
        self.send_until(msg, Until::Now)
    }

    /// As [`Sender::send`], waiting at most `timeout` for space.
    ///
    /// # Errors
    /// As [`Sender::send`], and [`ErrorKind::TimedOut`].
    #[inline]
    pub fn send_timeout(&mut self, msg: &[u8], timeout: Duration) -> Result<()> {
        self.send_until(msg, Until::after(timeout))
    }

    #[inline]
    fn send_until(&mut self, msg: &[u8], until: Until) -> Result<()> {
        let mut g = self.reserve_until(msg.len(), until)?;
        g.copy_from_slice(msg);
        g.commit();
        Ok(())
    }

    /// Reserves `len` bytes of the ring to write a message in place, waiting for space as
    /// long as the peer lives. Write the payload through the [`Grant`] (`&mut [u8]` of
    /// exactly `len` bytes), then [`Grant::commit`] it; a grant dropped without commit
    /// publishes no record.
    ///
    /// # Errors
    /// As [`Sender::send`].
    #[inline]
    pub fn reserve(&mut self, len: usize) -> Result<Grant<'_>> {
        self.reserve_until(len, Until::Forever)
    }

    /// As [`Sender::reserve`], but fails with [`ErrorKind::WouldBlock`] instead of waiting.
    ///
    /// # Errors
    /// As [`Sender::send`], and [`ErrorKind::WouldBlock`].
    #[inline]
    pub fn try_reserve(&mut self, len: usize) -> Result<Grant<'_>> {
        self.reserve_until(len, Until::Now)
    }

    /// As [`Sender::reserve`], waiting at most `timeout`.
    ///
    /// # Errors
    /// As [`Sender::send`], and [`ErrorKind::TimedOut`].
    #[inline]
    pub fn reserve_timeout(&mut self, len: usize, timeout: Duration) -> Result<Grant<'_>> {
        self.reserve_until(len, Until::after(timeout))
    }

    fn corrupt(&mut self, what: String) -> Error {
        self.broken = true;
        Error::new(ErrorKind::InvalidData, SIDE.op, &self.link.name).with_detail(what)
    }

    /// Waits until `need` bytes after our tail are free.
    fn wait_space(&mut self, need: u64, until: Until) -> Result<()> {
        let cap = self.ring.capacity();
        if cap - (self.tail - self.head) >= need {
            return Ok(());
        }
        let (tail, old) = (self.tail, self.head);
        let mut bad = None;
        let mut fresh = old;
        let r = wait::wait(
            &self.ring,
            self.ring.head(),
            &SIDE,
            &self.link,
            &self.cfg.for_message(need),
            until,
            |h| {
                if h < old || h > tail || h % 8 != 0 {
                    bad = Some(h);
                    return Err(Error::new(ErrorKind::InvalidData, SIDE.op, ""));
                }
                fresh = h;
                Ok(cap - (tail - h) >= need)
            },
        );
        self.head = fresh;
        if let Some(h) = bad {
            return Err(self.corrupt(format!(
                "consumer index {h} outside {old}..={tail} or unaligned"
            )));
        }
        r
    }

    #[inline]
    pub(super) fn reserve_until(&mut self, len: usize, until: Until) -> Result<Grant<'_>> {
        // The fast path: the record fits before the wrap in the space the cached consumer
        // index shows free.
        let cap = self.ring.capacity();
        let pos = self.tail & (cap - 1);
        if len as u64 <= self.ring.max_message() && !self.broken {
            let rec = record_size(len as u64);
            if rec <= cap - pos
                && cap - (self.tail - self.head) >= rec
                && self.ring.flag(Flag::ConsumerClosed).load(Ordering::Relaxed) == 0
            {
                return Ok(Grant {
                    sender: self,
                    pos: pos + 8,
                    len: len as u64,
                });
            }
        }
        self.reserve_slow(len, until)
    }

    #[inline(never)]
    fn reserve_slow(&mut self, len: usize, until: Until) -> Result<Grant<'_>> {
        let max = self.ring.max_message();
        if len as u64 > max {
            return Err(
                Error::new(ErrorKind::TooLarge, SIDE.op, &self.link.name).with_detail(format!(
                    "message of {len} bytes, the ring carries at most {max}"
                )),
            );
        }
        if self.broken {
            return Err(Error::new(ErrorKind::InvalidData, SIDE.op, &self.link.name)
                .with_detail("the ring was corrupted earlier"));
        }
        if self.ring.flag(Flag::ConsumerClosed).load(Ordering::Relaxed) != 0 {
            return Err(wait::peer_gone(&self.link, SIDE.op));
        }
        let cap = self.ring.capacity();
        let rec = record_size(len as u64);
        loop {
            let pos = self.tail & (cap - 1);
            let contiguous = cap - pos;
            if rec <= contiguous {
                self.wait_space(rec, until)?;
                return Ok(Grant {
                    sender: self,
                    pos: pos + 8,
                    len: len as u64,
                });
            }
            // The record would wrap: mark the rest of the data area as padding and publish
            // the marker on its own, then start over at position 0.
            self.wait_space(contiguous, until)?;
            self.ring.word(pos).store(SKIP, Ordering::Relaxed);
            self.tail += contiguous;
            wait::publish(
                &self.ring,
                self.ring.tail(),
                self.tail,
                Flag::DataWaiter,
                &self.cfg,
                &self.link,
            );
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        wait::close(
            &self.ring,
            self.ring.tail(),
            Flag::ProducerClosed,
            Flag::DataWaiter,
            &self.link,
        );
    }
}

/// Space reserved in the ring by [`Sender::reserve`]: `&mut [u8]` of the requested length,
/// written in place; [`Grant::commit`] publishes it as one record.
///
/// Dropping a grant without committing publishes no record (the bytes are reused by the next
/// reservation).
#[derive(Debug)]
#[must_use = "a grant publishes nothing unless committed"]
pub struct Grant<'a> {
    sender: &'a mut Sender,
    /// Data position of the payload (after the length word).
    pos: u64,
    len: u64,
}

impl Grant<'_> {
    /// Publishes the record: writes its length word, advances the producer index (Release)
    /// and wakes the receiver if it sleeps. A receiver that is spinning is not woken by a
    /// syscall.
    #[inline]
    pub fn commit(self) {
        let len = self.len;
        self.commit_len(len as usize);
    }

    /// Publishes only the first `len` bytes of the grant (at most its length) as the record,
    /// for a writer that learns the size while writing.
    ///
    /// # Panics
    /// If `len` is larger than the grant.
    #[inline]
    pub fn commit_len(self, len: usize) {
        assert!(
            len as u64 <= self.len,
            "commit_len {len} above the grant's {}",
            self.len
        );
        let s = self.sender;
        s.ring
            .word(self.pos - 8)
            .store(len as u64, Ordering::Relaxed);
        s.tail += record_size(len as u64);
        wait::publish(
            &s.ring,
            s.ring.tail(),
            s.tail,
            Flag::DataWaiter,
            &s.cfg,
            &s.link,
        );
    }
}

impl Deref for Grant<'_> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        let p = self
            .sender
            .ring
            .bytes_ptr(self.pos, self.len)
            .expect("grant inside the data area");
        // SAFETY: `p..p+len` is inside the mapping (checked by `bytes_ptr`). Under the ring
        // protocol these bytes belong to the producer alone between the consumer's Release of
        // the head that freed them (which `wait_space` Acquire-loaded) and our Release of the
        // tail at commit; the grant holds `&mut Sender`, so no other grant aliases them. See
        // the module docs for what a peer breaking the protocol can do.
        unsafe { std::slice::from_raw_parts(p, self.len as usize) }
    }
}

impl DerefMut for Grant<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        let p = self
            .sender
            .ring
            .bytes_ptr(self.pos, self.len)
            .expect("grant inside the data area");
        // SAFETY: as in `deref`; `&mut self` makes this the only live slice of the grant.
        unsafe { std::slice::from_raw_parts_mut(p, self.len as usize) }
    }
}
