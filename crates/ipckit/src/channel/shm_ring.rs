//! The `shm-ring:` transport: one record per message over [`crate::ring`], the shared-memory
//! ring, whose handshake runs over a Unix seqpacket socket at the address.
//!
//! The sender creates both rings of the connection ([`ChannelOptions::ring_capacity`] each)
//! and keeps the whole [`Connection`] alive, so its socket tells the receiver when it is
//! gone; the channel uses one direction. Neither end has an fd that becomes readable when a
//! message waits (the ring is watched in memory, then with a futex), so
//! [`as_fd_opt`](super::Receiver::as_fd_opt) is `None` for the ends; the listener's socket
//! is readable when a connection waits.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::time::Duration;

use super::ends::{ReceiverFlavor, SenderFlavor};
use super::listener::{Listen, ListenerFlavor};
use super::unix::{renamed, wait_connection};
use super::{Address, ChannelOptions, Incoming, Outgoing, SocketAddr};
use crate::ring::{self, Connection};
use crate::sys::Deadline;
use crate::Result;

/// The largest ring a listener accepts: the larger of the configured capacity and twice the
/// maximum message, as a power of two within the ring's limits.
fn accepted_capacity(opts: &ChannelOptions) -> usize {
    let want = opts
        .ring_capacity()
        .max(opts.max_message().saturating_mul(2));
    want.checked_next_power_of_two()
        .unwrap_or(ring::MAX_CAPACITY)
        .clamp(ring::MIN_CAPACITY, ring::MAX_CAPACITY)
}

/// Connects to the ring listener at `name`, creating both rings.
pub(super) fn connect(name: &SocketAddr, opts: &ChannelOptions) -> Result<Outgoing> {
    let address = Address::ShmRing(name.clone());
    let conn = Connection::builder(name)
        .capacity(opts.ring_capacity())
        .connect()
        .map_err(|e| renamed(e, &address))?;
    // Boxed: a connection is large beside the other flavors.
    let mut conn = Box::new(conn);
    let max = opts.max_message().min(conn.sender().max_message());
    Ok(Outgoing::Messages(SenderFlavor::ShmRing(RingSender {
        conn,
        max,
        object: address.to_string(),
    })))
}

/// Binds the ring listener's socket at `name`; the socket file goes on drop.
pub(super) fn listen(
    name: &SocketAddr,
    opts: &ChannelOptions,
) -> Result<(ListenerFlavor, Address)> {
    let address = Address::ShmRing(name.clone());
    let listener = ring::Listener::builder(name)
        .max_capacity(accepted_capacity(opts))
        .create_new()
        .map_err(|e| renamed(e, &address))?;
    Ok((
        ListenerFlavor::ShmRing(RingListener {
            name: name.clone(),
            object: address.to_string(),
            listener,
            max: opts.max_message(),
        }),
        address,
    ))
}

/// The sending end: the connection (both rings and the socket), using its sending ring.
#[derive(Debug)]
pub(crate) struct RingSender {
    conn: Box<Connection>,
    max: usize,
    object: String,
}

impl RingSender {
    pub(super) fn send(&mut self, msg: &[u8]) -> Result<()> {
        if msg.len() > self.max {
            return Err(super::too_large("send", &self.object, msg.len(), self.max));
        }
        self.conn.sender().send(msg)
    }

    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        None
    }
}

/// The receiving end: the accepted connection, using its receiving ring.
#[derive(Debug)]
pub(crate) struct RingReceiver {
    conn: Box<Connection>,
    max: usize,
    object: String,
}

/// How long a receive waits.
enum Wait {
    Forever,
    Now,
    For(Duration),
}

impl RingReceiver {
    fn receive(&mut self, buf: &mut Vec<u8>, wait: Wait) -> Result<usize> {
        let rx = self.conn.receiver();
        let record = match wait {
            Wait::Forever => rx.recv_ref(),
            Wait::Now => rx.try_recv_ref(),
            Wait::For(d) => rx.recv_ref_timeout(d),
        }?;
        let len = record.len();
        if len > self.max {
            // Released on drop: the record is consumed, the ring goes on.
            drop(record);
            return Err(super::too_large("recv", &self.object, len, self.max));
        }
        buf.clear();
        buf.extend_from_slice(&record);
        Ok(len)
    }

    pub(super) fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.receive(buf, Wait::Forever)
    }

    pub(super) fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.receive(buf, Wait::Now)
    }

    pub(super) fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize> {
        self.receive(buf, Wait::For(timeout))
    }

    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        None
    }
}

/// A bound ring listener: one receiver per connection.
#[derive(Debug)]
pub(crate) struct RingListener {
    name: SocketAddr,
    listener: ring::Listener,
    object: String,
    max: usize,
}

impl Listen for RingListener {
    fn accept(&mut self, deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        if !wait_connection(&self.listener, deadline, &self.object)? {
            return Ok(None);
        }
        let conn = self
            .listener
            .accept()
            .map_err(|e| renamed(e, &self.object))?;
        Ok(Some(Incoming::Messages(ReceiverFlavor::ShmRing(
            RingReceiver {
                conn: Box::new(conn),
                max: self.max,
                object: self.object.clone(),
            },
        ))))
    }

    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.listener.as_fd())
    }

    fn created_path(&self) -> Option<&Path> {
        self.name.as_path()
    }
}
