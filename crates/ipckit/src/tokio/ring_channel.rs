//! The `shm-ring:` flavors of the async channel ends ([`super::Sender`],
//! [`super::Receiver`], [`super::Listener`]): the ring's async ends ([`super::ring`]) with
//! the sync channel's limits and errors (`channel/shm_ring.rs`): the largest message is the
//! smaller of `ChannelOptions::max_message` and what the ring carries, `TooLarge` above it
//! (a sender writes nothing, a receiver consumes the record and goes on), `PeerGone` once
//! the peer is gone and every record it committed was received.

use std::fmt;
use std::future::Future;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use ::tokio::io::unix::AsyncFd;

use super::ring::{RingReceiver, RingSender, Unparks};
use crate::channel::{check_len, copy_record, RingAcceptor, RingParts};
use crate::{ring, Error, ErrorKind, Result};

/// The async `shm-ring:` sender: the sending half of the connection (the other half is kept
/// so that the peer's unused direction stays as the sync channel leaves it).
#[derive(Debug)]
pub(super) struct RingChannelSender {
    tx: RingSender,
    _rx: ring::Receiver,
    max: usize,
    object: String,
    /// A whole message `Sink::start_send` handed over, not yet committed.
    whole: Option<Vec<u8>>,
    /// The buffer of the last `whole`, reused.
    spare: Vec<u8>,
}

impl RingChannelSender {
    /// Makes a connected channel end async (inside a tokio runtime).
    pub(super) fn new(parts: RingParts) -> Result<RingChannelSender> {
        let (tx, rx) = (*parts.conn).split();
        Ok(RingChannelSender {
            tx: RingSender::from_sync(tx)?,
            _rx: rx,
            max: parts.max,
            object: parts.object,
            whole: None,
            spare: Vec::new(),
        })
    }

    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        None
    }

    pub(super) fn is_pending(&self) -> bool {
        self.whole.is_some()
    }

    pub(super) fn stash(&mut self, msg: &[u8]) {
        let mut v = std::mem::take(&mut self.spare);
        v.clear();
        v.extend_from_slice(msg);
        self.whole = Some(v);
    }

    /// Commits `msg` as one record: `Pending` while the ring has no room (nothing written).
    pub(super) fn poll_start(&mut self, cx: &mut Context<'_>, msg: &[u8]) -> Poll<Result<()>> {
        check_len(msg.len(), self.max, "send", &self.object)?;
        self.tx.poll_send(cx, msg)
    }

    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let Some(msg) = self.whole.take() else {
            return Poll::Ready(Ok(()));
        };
        let r = self.poll_start(cx, &msg);
        if r.is_pending() {
            self.whole = Some(msg);
        } else {
            self.spare = msg;
        }
        r
    }
}

impl Unparks for RingChannelSender {
    fn cancel_wait(&mut self) {
        self.tx.cancel_wait();
    }
}

/// The async `shm-ring:` receiver: the receiving half of an accepted connection.
#[derive(Debug)]
pub(super) struct RingChannelReceiver {
    rx: RingReceiver,
    _tx: ring::Sender,
    max: usize,
    object: String,
}

impl RingChannelReceiver {
    pub(super) fn new(parts: RingParts) -> Result<RingChannelReceiver> {
        let (tx, rx) = (*parts.conn).split();
        Ok(RingChannelReceiver {
            rx: RingReceiver::from_sync(rx)?,
            _tx: tx,
            max: parts.max,
            object: parts.object,
        })
    }

    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        None
    }

    pub(super) fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut Vec<u8>,
    ) -> Poll<Result<usize>> {
        let (max, object) = (self.max, &self.object);
        self.rx
            .poll_recv_with(cx, |rx| copy_record(rx.try_recv_ref(), buf, max, object))
    }
}

impl Unparks for RingChannelReceiver {
    fn cancel_wait(&mut self) {
        self.rx.cancel_wait();
    }
}

/// An accept under way: waiting for the listening socket, then the handshake on the
/// blocking pool. Kept in the listener across cancelled accepts, so a connection whose
/// handshake ran is never dropped.
type Accepting = Pin<Box<dyn Future<Output = Result<RingParts>> + Send + Sync>>;

/// The `shm-ring:` part of the async listener.
pub(super) struct RingAccept {
    acceptor: RingAcceptor,
    ready: Arc<AsyncFd<OwnedFd>>,
    accepting: Option<Accepting>,
}

impl fmt::Debug for RingAccept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingAccept")
            .field("acceptor", &self.acceptor)
            .field("accepting", &self.accepting.is_some())
            .finish()
    }
}

impl RingAccept {
    /// Puts the listening socket in non-blocking mode and registers (a duplicate of) it
    /// with the current runtime's reactor.
    pub(super) fn new(acceptor: RingAcceptor, object: &str) -> Result<RingAccept> {
        let listener = acceptor.listener();
        listener.set_nonblocking(true)?;
        let ready = super::io::register(listener.as_fd(), &object)?;
        Ok(RingAccept {
            acceptor,
            ready: Arc::new(ready),
            accepting: None,
        })
    }

    /// The next connection's receiver, its handshake run on the blocking pool (at most
    /// [`HANDSHAKE_TIMEOUT`](crate::ring::HANDSHAKE_TIMEOUT)).
    pub(super) fn poll_accept(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<RingChannelReceiver>> {
        let fut = self
            .accepting
            .get_or_insert_with(|| Box::pin(accept_one(self.ready.clone(), self.acceptor.clone())));
        let r = ready!(fut.as_mut().poll(cx));
        self.accepting = None;
        Poll::Ready(r.and_then(RingChannelReceiver::new))
    }
}

async fn accept_one(ready: Arc<AsyncFd<OwnedFd>>, acceptor: RingAcceptor) -> Result<RingParts> {
    loop {
        let mut g = ready
            .readable()
            .await
            .map_err(|e| super::io::io_error(e, "epoll_wait", &"ring listener"))?;
        let a = acceptor.clone();
        // Non-blocking: `accept4` returns at once; only the handshake may wait.
        let r = ::tokio::task::spawn_blocking(move || a.accept())
            .await
            .unwrap_or_else(|e| {
                Err(
                    Error::new(ErrorKind::Other, "accept", "tokio blocking pool")
                        .with_detail(e.to_string()),
                )
            });
        match r {
            Err(e) if e.kind() == ErrorKind::WouldBlock => g.clear_ready(),
            other => return other,
        }
    }
}
