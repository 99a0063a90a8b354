//! The `shm-ring:` transport: one record per message over [`crate::ring`], the shared-memory
//! ring, whose handshake runs over a Unix seqpacket socket at the address.
//!
//! The sender creates both rings of the connection ([`ChannelOptions::ring_capacity`] each)
//! and keeps the whole [`Connection`] alive, so its socket tells the receiver when it is
//! gone; the channel uses one direction. Neither end has an fd that becomes readable when a
//! message waits (the ring is watched in memory, then with a futex), so
//! [`as_fd_opt`](super::Receiver::as_fd_opt) is `None` for the ends; the listener's socket
//! is readable when a connection waits. The async ends (`crate::tokio`) take the connection
//! apart ([`RingParts`]) and wait on the ring's doorbell instead, and so does a
//! [`Select`](super::Select) holding a receiver (through [`RingReceiver::ring`]); a Select
//! accepts in two steps ([`RingAcceptor::start`], [`RingAcceptor::try_complete`]) so that a
//! connector slow to send its handshake never blocks it.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::sync::Arc;
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

/// One end of a channel connection, sync or async: the whole connection (both rings and
/// the socket; the channel uses one direction), the largest message this end sends or
/// accepts, and the address for errors.
#[derive(Debug)]
pub(crate) struct RingParts {
    pub(crate) conn: Box<Connection>,
    pub(crate) max: usize,
    pub(crate) object: String,
}

/// Connects to the ring listener at `name`, creating both rings; the largest message is
/// the smaller of `opts.max_message()` and what the ring carries.
pub(crate) fn connect_parts(name: &SocketAddr, opts: &ChannelOptions) -> Result<RingParts> {
    let address = Address::ShmRing(name.clone());
    let conn = Connection::builder(name)
        .capacity(opts.ring_capacity())
        .connect()
        .map_err(|e| renamed(e, &address))?;
    // Boxed: a connection is large beside the other flavors.
    let mut conn = Box::new(conn);
    let max = opts.max_message().min(conn.sender().max_message());
    Ok(RingParts {
        conn,
        max,
        object: address.to_string(),
    })
}

/// Connects to the ring listener at `name`, creating both rings.
pub(super) fn connect(name: &SocketAddr, opts: &ChannelOptions) -> Result<Outgoing> {
    let RingParts { conn, max, object } = connect_parts(name, opts)?;
    Ok(Outgoing::Messages(SenderFlavor::ShmRing(RingSender {
        conn,
        max,
        object,
    })))
}

/// `TooLarge` for a message of `len` bytes above `max` (`op` is `send` or `recv`).
pub(crate) fn check_len(len: usize, max: usize, op: &'static str, object: &str) -> Result<()> {
    if len > max {
        return Err(super::too_large(op, object, len, max));
    }
    Ok(())
}

/// Copies a received record into `buf`; a record above `max` is consumed (released) and
/// refused with `TooLarge`, and the ring goes on with the next one.
pub(crate) fn copy_record(
    record: Result<ring::Record<'_>>,
    buf: &mut Vec<u8>,
    max: usize,
    object: &str,
) -> Result<usize> {
    let record = record?;
    let len = record.len();
    // On an error the record is released on drop: consumed, the ring goes on.
    check_len(len, max, "recv", object)?;
    buf.clear();
    buf.extend_from_slice(&record);
    Ok(len)
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
            acceptor: RingAcceptor {
                listener: Arc::new(listener),
                object: address.to_string(),
                max: opts.max_message(),
            },
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
        check_len(msg.len(), self.max, "send", &self.object)?;
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
        };
        copy_record(record, buf, self.max, &self.object)
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

    /// The ring receiver underneath (for [`Select`](super::Select), which parks it and
    /// waits on its doorbell and socket).
    pub(super) fn ring(&self) -> &ring::Receiver {
        self.conn.receiver_ref()
    }

    /// As [`RingReceiver::ring`], to park and unpark it.
    pub(super) fn ring_mut(&mut self) -> &mut ring::Receiver {
        self.conn.receiver()
    }
}

/// A bound ring listener: one receiver per connection.
#[derive(Debug)]
pub(crate) struct RingListener {
    name: SocketAddr,
    acceptor: RingAcceptor,
}

/// What accepts a ring connection, shared with the async listener (which runs the
/// handshake on tokio's blocking pool).
#[derive(Debug, Clone)]
pub(crate) struct RingAcceptor {
    listener: Arc<ring::Listener>,
    object: String,
    max: usize,
}

impl RingAcceptor {
    /// Accepts the connection waiting now and runs its handshake (at most
    /// [`ring::HANDSHAKE_TIMEOUT`]); `WouldBlock` if the listener is non-blocking and none
    /// waits.
    pub(crate) fn accept(&self) -> Result<RingParts> {
        let conn = self
            .listener
            .accept()
            .map_err(|e| renamed(e, &self.object))?;
        Ok(RingParts {
            conn: Box::new(conn),
            max: self.max,
            object: self.object.clone(),
        })
    }

    /// For [`Select`](super::Select): accepts the connection waiting now, if any, without
    /// waiting for its hello (`Ok(None)` if none waits).
    pub(super) fn start(&self) -> Result<Option<ring::Handshake>> {
        let now = Some(Deadline::after(Duration::ZERO));
        if !wait_connection(self.listener.as_ref(), now, &self.object)? {
            return Ok(None);
        }
        match self.listener.accept_start() {
            Ok(hs) => Ok(Some(hs)),
            Err(e) if e.kind() == crate::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(renamed(e, &self.object)),
        }
    }

    /// For [`Select`](super::Select): finishes a handshake from [`RingAcceptor::start`]
    /// without blocking, or gives it back if its hello has not arrived yet.
    pub(super) fn try_complete(
        &self,
        hs: ring::Handshake,
    ) -> Result<std::result::Result<super::Receiver, ring::Handshake>> {
        match self.listener.try_complete(hs) {
            Ok(Ok(conn)) => Ok(Ok(super::Receiver::new(ReceiverFlavor::ShmRing(
                RingReceiver {
                    conn: Box::new(conn),
                    max: self.max,
                    object: self.object.clone(),
                },
            )))),
            Ok(Err(hs)) => Ok(Err(hs)),
            Err(e) => Err(renamed(e, &self.object)),
        }
    }

    /// The listening socket.
    #[cfg(feature = "tokio")]
    pub(crate) fn listener(&self) -> &ring::Listener {
        &self.listener
    }
}

impl RingListener {
    /// What accepts this listener's connections (for [`Select`](super::Select)).
    pub(super) fn acceptor_ref(&self) -> &RingAcceptor {
        &self.acceptor
    }

    /// A handle that accepts this listener's connections (for the async ends).
    #[cfg(feature = "tokio")]
    pub(crate) fn acceptor(&self) -> RingAcceptor {
        self.acceptor.clone()
    }
}

impl Listen for RingListener {
    fn accept(&mut self, deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        let a = &self.acceptor;
        if !wait_connection(a.listener.as_ref(), deadline, &a.object)? {
            return Ok(None);
        }
        let RingParts { conn, max, object } = a.accept()?;
        Ok(Some(Incoming::Messages(ReceiverFlavor::ShmRing(
            RingReceiver { conn, max, object },
        ))))
    }

    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.acceptor.listener.as_fd())
    }

    fn created_path(&self) -> Option<&Path> {
        self.name.as_path()
    }
}
