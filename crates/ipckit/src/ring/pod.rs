//! Plain-old-data in place over the ring (feature `pod`): [`Sender::send_pod`],
//! [`Receiver::recv_pod`], [`Receiver::recv_pod_ref`] and its guard [`PodRecord`].
//!
//! A value of a [`bytemuck::Pod`] type is one record of exactly `size_of::<T>()` bytes: the
//! sender copies its bytes into the reserved space (one `memcpy`, no encoding), the receiver
//! reads them where they lie. Any bit pattern is a valid `T` (that is what `Pod` promises),
//! so bytes from an untrusted peer are at worst wrong values, never undefined ones.
//!
//! # Alignment
//! Every record starts at a multiple of 8 in the data area, which starts 512 bytes into a
//! page-aligned mapping, and the payload follows the 8-byte length word: a payload is always
//! 8-aligned. A `T` that needs more (`#[repr(align(16))]`, `u128` on some targets) is refused
//! at compile time (a post-monomorphization error naming the assertion), never at run time.
//!
//! # Making a `#[repr(C)]` struct `Pod`
//! Either derive it (bytemuck's `derive` feature, which checks that there is no padding and
//! that every field is `Pod`):
//!
//! ```
//! # #[cfg(feature = "pod")] {
//! #[derive(Clone, Copy, bytemuck::Zeroable, bytemuck::Pod)]
//! #[repr(C)]
//! struct Tick {
//!     seq: u64,
//!     price: f64,
//!     symbol: [u8; 8],
//! }
//! # }
//! ```
//!
//! or, without the derive macro, promise it by hand: `unsafe impl bytemuck::Zeroable for
//! Tick {}` and `unsafe impl bytemuck::Pod for Tick {}`. The promise is that the type is
//! `Copy`, `#[repr(C)]` (or `transparent`), has **no padding bytes** (order the fields by
//! decreasing alignment and make the size a multiple of the largest; check with
//! `size_of`), no pointers or references, and that every bit pattern of every field is
//! valid (no `bool`, `char`, enums or `NonZero*`). A wrong promise is undefined behaviour in
//! the user's crate; the derive checks all of it at compile time, so prefer it.
//!
//! Both ends must agree on the type: the ring carries no type tag, only the length. A record
//! whose length is not `size_of::<T>()` is refused with
//! [`ErrorKind::InvalidData`](crate::ErrorKind::InvalidData) naming the type and both sizes,
//! and consumed, so the next call reads the next record.

use std::marker::PhantomData;
use std::ops::Deref;
use std::time::Duration;

use bytemuck::Pod;

use super::receiver::{Receiver, Record};
use super::sender::Sender;
use super::wait::Until;
use crate::{Error, ErrorKind, Result};

/// Refuses, at compile time, a `T` whose alignment the record layout does not give.
const fn check_align<T>() {
    assert!(
        std::mem::align_of::<T>() <= 8,
        "ring records are 8-aligned: a Pod type needing more alignment cannot be read in place"
    );
}

impl Sender {
    /// Sends `value` as one record of `size_of::<T>()` bytes, copied into the ring in place
    /// (no encoding), waiting for space as long as the peer lives.
    ///
    /// # Errors
    /// As [`Sender::send`] (`TooLarge` if `T` is larger than [`Sender::max_message`]).
    ///
    /// # Examples
    /// ```
    /// use ipckit::ring;
    /// let addr: ipckit::net::unix::SocketAddr =
    ///     format!("@ipckit-doc-ring-pod-{}", std::process::id()).parse()?;
    /// let listener = ring::listen(&addr)?;
    /// let t = std::thread::spawn(move || -> ipckit::Result<()> {
    ///     let mut conn = ring::connect(&addr)?;
    ///     conn.sender().send_pod(&[1.5f64, 2.5])?;
    ///     Ok(())
    /// });
    /// let mut conn = listener.accept()?;
    /// let v: [f64; 2] = conn.receiver().recv_pod()?;
    /// assert_eq!(v, [1.5, 2.5]);
    /// t.join().unwrap()?;
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    #[inline]
    pub fn send_pod<T: Pod>(&mut self, value: &T) -> Result<()> {
        self.send_pod_until(value, Until::Forever)
    }

    /// As [`Sender::send_pod`], but fails with [`ErrorKind::WouldBlock`] instead of waiting.
    ///
    /// # Errors
    /// As [`Sender::send`], and [`ErrorKind::WouldBlock`].
    #[inline]
    pub fn try_send_pod<T: Pod>(&mut self, value: &T) -> Result<()> {
        self.send_pod_until(value, Until::Now)
    }

    /// As [`Sender::send_pod`], waiting at most `timeout` for space.
    ///
    /// # Errors
    /// As [`Sender::send`], and [`ErrorKind::TimedOut`].
    #[inline]
    pub fn send_pod_timeout<T: Pod>(&mut self, value: &T, timeout: Duration) -> Result<()> {
        self.send_pod_until(value, Until::after(timeout))
    }

    #[inline]
    fn send_pod_until<T: Pod>(&mut self, value: &T, until: Until) -> Result<()> {
        const { check_align::<T>() };
        let bytes = bytemuck::bytes_of(value);
        let mut g = self.reserve_until(bytes.len(), until)?;
        g.copy_from_slice(bytes);
        g.commit();
        Ok(())
    }
}

impl Receiver {
    /// Receives the next record as a `T`, read in place (one copy out of the ring, no
    /// decoding), waiting as long as the peer lives.
    ///
    /// # Errors
    /// - [`ErrorKind::InvalidData`] if the record is not `size_of::<T>()` bytes long (the
    ///   message names the type and both sizes); that record is consumed and the receiver
    ///   goes on with the next one.
    /// - Otherwise as [`Receiver::recv`].
    ///
    /// # Examples
    /// See [`Sender::send_pod`].
    #[inline]
    pub fn recv_pod<T: Pod>(&mut self) -> Result<T> {
        self.recv_pod_until(Until::Forever).map(|r| *r)
    }

    /// As [`Receiver::recv_pod`], but fails with [`ErrorKind::WouldBlock`] when the ring is
    /// empty.
    ///
    /// # Errors
    /// As [`Receiver::recv_pod`], and [`ErrorKind::WouldBlock`].
    #[inline]
    pub fn try_recv_pod<T: Pod>(&mut self) -> Result<T> {
        self.recv_pod_until(Until::Now).map(|r| *r)
    }

    /// As [`Receiver::recv_pod`], waiting at most `timeout`.
    ///
    /// # Errors
    /// As [`Receiver::recv_pod`], and [`ErrorKind::TimedOut`].
    #[inline]
    pub fn recv_pod_timeout<T: Pod>(&mut self, timeout: Duration) -> Result<T> {
        self.recv_pod_until(Until::after(timeout)).map(|r| *r)
    }

    /// Borrows the next record in place as a `&T` (no copy at all): the [`PodRecord`] derefs
    /// to the value inside the ring, and dropping it releases the space.
    ///
    /// # Errors
    /// As [`Receiver::recv_pod`].
    #[inline]
    pub fn recv_pod_ref<T: Pod>(&mut self) -> Result<PodRecord<'_, T>> {
        self.recv_pod_until(Until::Forever)
    }

    /// As [`Receiver::recv_pod_ref`], but fails with [`ErrorKind::WouldBlock`] when the ring
    /// is empty.
    ///
    /// # Errors
    /// As [`Receiver::recv_pod`], and [`ErrorKind::WouldBlock`].
    #[inline]
    pub fn try_recv_pod_ref<T: Pod>(&mut self) -> Result<PodRecord<'_, T>> {
        self.recv_pod_until(Until::Now)
    }

    #[inline]
    fn recv_pod_until<T: Pod>(&mut self, until: Until) -> Result<PodRecord<'_, T>> {
        const { check_align::<T>() };
        let rec = self.recv_until(until)?;
        PodRecord::new(rec)
    }
}

/// A `T` borrowed in place by [`Receiver::recv_pod_ref`]: derefs to the value inside the
/// ring. Dropping it (or [`PodRecord::release`]) frees the space for the sender.
#[derive(Debug)]
pub struct PodRecord<'a, T> {
    rec: Record<'a>,
    _t: PhantomData<&'a T>,
}

impl<'a, T: Pod> PodRecord<'a, T> {
    /// Checks the record's length (and, defensively, its alignment) against `T`; a record
    /// of another size is released here and reported.
    pub(super) fn new(rec: Record<'a>) -> Result<PodRecord<'a, T>> {
        let (got, want) = (rec.len(), std::mem::size_of::<T>());
        if got != want {
            let op = "ring recv_pod";
            let name = rec.peer_name().to_owned();
            drop(rec);
            return Err(
                Error::new(ErrorKind::InvalidData, op, name).with_detail(format!(
                    "record of {got} bytes, {} is {want} bytes",
                    std::any::type_name::<T>()
                )),
            );
        }
        // The layout makes every payload 8-aligned and `check_align` bounds T's alignment by
        // 8, so this holds; `from_bytes` in `deref` would panic otherwise.
        debug_assert!(bytemuck::try_from_bytes::<T>(&rec).is_ok());
        Ok(PodRecord {
            rec,
            _t: PhantomData,
        })
    }

    /// Releases the record, as dropping it does.
    #[inline]
    pub fn release(self) {}
}

impl<T: Pod> Deref for PodRecord<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        bytemuck::from_bytes(&self.rec)
    }
}
