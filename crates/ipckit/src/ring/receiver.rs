//! The consumer half: [`Receiver`] and the borrowed [`Record`].

use std::ops::Deref;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::sender::record_size;
use super::shm::{Flag, Ring, SKIP};
use super::wait::{self, SharedLink, Side, Until, WaitConfig};
use crate::net::unix::PeerCred;
use crate::{Error, ErrorKind, Result};

const SIDE: Side = Side {
    waiter: Flag::DataWaiter,
    peer_closed: Flag::ProducerClosed,
    op: "ring recv",
};

/// The receiving half of a ring connection: the consumer of one direction.
///
/// Made by [`Connection::split`](super::Connection::split) (or borrowed with
/// [`Connection::receiver`](super::Connection::receiver)). Methods take `&mut self`: one
/// thread consumes at a time.
#[derive(Debug)]
pub struct Receiver {
    pub(super) ring: Ring,
    /// Our index: bytes consumed so far, records and skip markers (never read back).
    pub(super) head: u64,
    /// The producer index as last read (validated).
    pub(super) tail: u64,
    /// The length of the last record released: sizes the spin window of the next wait.
    last_len: u64,
    pub(super) broken: bool,
    pub(super) cfg: WaitConfig,
    pub(super) link: SharedLink,
}

impl Receiver {
    pub(super) fn new(ring: Ring, cfg: WaitConfig, link: SharedLink) -> Receiver {
        Receiver {
            ring,
            head: 0,
            tail: 0,
            last_len: 0,
            broken: false,
            cfg,
            link,
        }
    }

    /// The ring's capacity in bytes (a power of two).
    pub fn capacity(&self) -> usize {
        self.ring.capacity() as usize
    }

    /// The largest message this ring carries, in bytes (half its capacity); a record the
    /// peer claims is longer is refused with [`ErrorKind::InvalidData`].
    pub fn max_message(&self) -> usize {
        self.ring.max_message() as usize
    }

    /// The peer's credentials (`SO_PEERCRED`) as seen at the handshake.
    pub fn peer_cred(&self) -> PeerCred {
        self.link.cred
    }

    /// Receives the next message into `buf` (cleared first, grown to the message's length,
    /// at most [`Receiver::max_message`]), waiting as long as the peer lives. Returns the
    /// length.
    ///
    /// # Errors
    /// - [`ErrorKind::PeerGone`] once the sender was dropped or its process died, after
    ///   every record it committed was received.
    /// - [`ErrorKind::InvalidData`] if the peer corrupted the ring (an index or length out
    ///   of range); the receiver stays broken afterwards.
    #[inline]
    pub fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        let r = self.recv_until(Until::Forever)?;
        Ok(copy_out(&r, buf))
    }

    /// As [`Receiver::recv`], but fails with [`ErrorKind::WouldBlock`] when the ring is
    /// empty.
    ///
    /// # Errors
    /// As [`Receiver::recv`], and [`ErrorKind::WouldBlock`].
    #[inline]
    pub fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        let r = self.recv_until(Until::Now)?;
        Ok(copy_out(&r, buf))
    }

    /// As [`Receiver::recv`], waiting at most `timeout`.
    ///
    /// # Errors
    /// As [`Receiver::recv`], and [`ErrorKind::TimedOut`].
    #[inline]
    pub fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize> {
        let r = self.recv_until(Until::after(timeout))?;
        Ok(copy_out(&r, buf))
    }

    /// Borrows the next message in place, waiting as long as the peer lives: the
    /// [`Record`] derefs to `&[u8]` inside the ring, and dropping it releases the space.
    ///
    /// # Errors
    /// As [`Receiver::recv`].
    #[inline]
    pub fn recv_ref(&mut self) -> Result<Record<'_>> {
        self.recv_until(Until::Forever)
    }

    /// As [`Receiver::recv_ref`], but fails with [`ErrorKind::WouldBlock`] when the ring is
    /// empty.
    ///
    /// # Errors
    /// As [`Receiver::recv`], and [`ErrorKind::WouldBlock`].
    #[inline]
    pub fn try_recv_ref(&mut self) -> Result<Record<'_>> {
        self.recv_until(Until::Now)
    }

    /// As [`Receiver::recv_ref`], waiting at most `timeout`.
    ///
    /// # Errors
    /// As [`Receiver::recv`], and [`ErrorKind::TimedOut`].
    #[inline]
    pub fn recv_ref_timeout(&mut self, timeout: Duration) -> Result<Record<'_>> {
        self.recv_until(Until::after(timeout))
    }

    fn corrupt(&mut self, what: String) -> Error {
        self.broken = true;
        Error::new(ErrorKind::InvalidData, SIDE.op, &self.link.name).with_detail(what)
    }

    /// Waits until the producer index is past our head.
    fn wait_data(&mut self, until: Until) -> Result<()> {
        let (head, old) = (self.head, self.tail);
        let cap = self.ring.capacity();
        let ring = &self.ring;
        let mut bad = None;
        let mut fresh = old;
        let r = wait::wait(
            &self.ring,
            self.ring.tail(),
            &SIDE,
            &self.link,
            &self.cfg.for_message(self.last_len),
            until,
            |t| {
                // Touch the record's first two lines while loading the index, so that their
                // misses overlap with the index's instead of following it.
                std::hint::black_box(ring.word(head).load(Ordering::Relaxed));
                std::hint::black_box(ring.word(head + 64).load(Ordering::Relaxed));
                if t < old || t - head > cap || t % 8 != 0 {
                    bad = Some(t);
                    return Err(Error::new(ErrorKind::InvalidData, SIDE.op, ""));
                }
                fresh = t;
                Ok(t != head)
            },
        );
        self.tail = fresh;
        if let Some(t) = bad {
            return Err(self.corrupt(format!(
                "producer index {t} below {old}, more than {cap} past {head}, or unaligned"
            )));
        }
        r
    }

    #[inline]
    pub(super) fn recv_until(&mut self, until: Until) -> Result<Record<'_>> {
        // The fast path: a whole record below the cached producer index (the length word is
        // read once and validated as in `recv_slow`).
        if !self.broken && self.head != self.tail {
            let cap = self.ring.capacity();
            let pos = self.head & (cap - 1);
            let word = self.ring.word(pos).load(Ordering::Relaxed);
            if word <= self.ring.max_message() {
                let rec = record_size(word);
                if rec <= self.tail - self.head && pos + rec <= cap {
                    return Ok(Record {
                        receiver: self,
                        pos: pos + 8,
                        len: word,
                    });
                }
            }
        }
        self.recv_slow(until)
    }

    #[inline(never)]
    fn recv_slow(&mut self, until: Until) -> Result<Record<'_>> {
        if self.broken {
            return Err(Error::new(ErrorKind::InvalidData, SIDE.op, &self.link.name)
                .with_detail("the ring was corrupted earlier"));
        }
        let cap = self.ring.capacity();
        loop {
            if self.head == self.tail {
                self.wait_data(until)?;
            }
            let pos = self.head & (cap - 1);
            let word = self.ring.word(pos).load(Ordering::Relaxed);
            let avail = self.tail - self.head;
            if word == SKIP {
                let skip = cap - pos;
                if skip > avail {
                    return Err(self.corrupt(format!(
                        "skip marker of {skip} bytes, only {avail} published"
                    )));
                }
                self.head += skip;
                wait::publish(
                    &self.ring,
                    self.ring.head(),
                    self.head,
                    Flag::SpaceWaiter,
                    &self.cfg,
                    &self.link,
                );
                continue;
            }
            let max = self.ring.max_message();
            if word > max {
                return Err(self.corrupt(format!("record length {word} above the maximum {max}")));
            }
            let rec = record_size(word);
            if rec > avail || pos + rec > cap {
                return Err(self.corrupt(format!(
                    "record of {rec} bytes at {pos}: {avail} published, capacity {cap}"
                )));
            }
            return Ok(Record {
                receiver: self,
                pos: pos + 8,
                len: word,
            });
        }
    }
}

#[inline]
fn copy_out(r: &Record<'_>, buf: &mut Vec<u8>) -> usize {
    buf.clear();
    // Exact, so that the buffer never grows past the largest message received.
    buf.reserve_exact(r.len());
    buf.extend_from_slice(r);
    buf.len()
}

impl Drop for Receiver {
    fn drop(&mut self) {
        wait::close(
            &self.ring,
            self.ring.head(),
            Flag::ConsumerClosed,
            Flag::SpaceWaiter,
            &self.link,
        );
    }
}

/// A message borrowed in place by [`Receiver::recv_ref`]: derefs to its bytes inside the
/// ring. Dropping it (or [`Record::release`]) frees the space for the sender.
#[derive(Debug)]
pub struct Record<'a> {
    receiver: &'a mut Receiver,
    pos: u64,
    len: u64,
}

impl Record<'_> {
    /// The connection's name, for errors about this record.
    #[cfg(feature = "pod")]
    pub(super) fn peer_name(&self) -> &str {
        &self.receiver.link.name
    }

    /// Releases the record: advances the consumer index (Release) and wakes the sender if
    /// it sleeps waiting for space. The same as dropping it.
    #[inline]
    pub fn release(self) {}
}

impl Deref for Record<'_> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        let p = self
            .receiver
            .ring
            .bytes_ptr(self.pos, self.len)
            .expect("record inside the data area");
        // SAFETY: `p..p+len` is inside the mapping (checked by `bytes_ptr`, and the record was
        // validated to end within the capacity and the published tail). Under the protocol
        // the producer published these bytes with its Release of the tail, which
        // `wait_data` Acquire-loaded, and will not write them again until our Release of the
        // head in `drop`; the record holds `&mut Receiver`, so nothing else of ours writes
        // them. A peer breaking the protocol can only change the bytes' values (see the
        // module docs).
        unsafe { std::slice::from_raw_parts(p, self.len as usize) }
    }
}

impl Drop for Record<'_> {
    #[inline]
    fn drop(&mut self) {
        let r = &mut *self.receiver;
        r.head += record_size(self.len);
        r.last_len = self.len;
        wait::publish(
            &r.ring,
            r.ring.head(),
            r.head,
            Flag::SpaceWaiter,
            &r.cfg,
            &r.link,
        );
    }
}
