//! `sysv-mq:` through tokio's blocking pool: System V queues have no fd to wait on, so each
//! wait runs the sync code on a [`spawn_blocking`](::tokio::task::spawn_blocking) thread.
//!
//! Cancellation: the in-flight operation belongs to the end, not to the future, so a
//! cancelled `recv`/`send` leaves it running and the next call picks its result up. A
//! receive waits in slices of [`SLICE`], so a dropped receiver frees its pool thread within
//! that time; a message such a receive takes after its receiver was dropped is put back at
//! the end of the queue (the only case where order changes), never lost.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use ::tokio::task::JoinHandle;

use crate::channel;
use crate::{Error, ErrorKind, Result};

/// How long one blocking receive waits before the pool thread is handed back.
pub(crate) const SLICE: Duration = Duration::from_millis(100);

fn lost(op: &'static str, object: &str, e: &::tokio::task::JoinError) -> Error {
    Error::new(ErrorKind::Other, op, object).with_detail(format!(
        "the blocking-pool task failed ({e}); this end is unusable"
    ))
}

fn gone(op: &'static str, object: &str) -> Error {
    Error::new(ErrorKind::Other, op, object)
        .with_detail("an earlier blocking-pool task failed; this end is unusable")
}

/// A pool send hands back the sender, its buffer (for reuse) and the result.
type SendDone = (channel::Sender, Vec<u8>, Result<()>);

/// The sync sender and the send running on the pool, if any.
#[derive(Debug)]
pub(super) struct BlockingSender {
    tx: Option<channel::Sender>,
    inflight: Option<JoinHandle<SendDone>>,
    spare: Vec<u8>,
    object: String,
}

impl BlockingSender {
    pub(super) fn new(tx: channel::Sender, object: String) -> BlockingSender {
        BlockingSender {
            tx: Some(tx),
            inflight: None,
            spare: Vec::new(),
            object,
        }
    }

    pub(super) fn as_fd_opt(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        None
    }

    pub(super) fn is_pending(&self) -> bool {
        self.inflight.is_some()
    }

    /// Starts `msg`'s send on the pool (copied); the next flush waits for it.
    pub(super) fn stash(&mut self, msg: &[u8]) {
        let Some(mut tx) = self.tx.take() else {
            return; // unusable: the next flush says so
        };
        let mut buf = std::mem::take(&mut self.spare);
        buf.clear();
        buf.extend_from_slice(msg);
        self.inflight = Some(::tokio::task::spawn_blocking(move || {
            let r = tx.send(&buf);
            (tx, buf, r)
        }));
    }

    pub(super) fn poll_start(&mut self, _cx: &mut Context<'_>, msg: &[u8]) -> Poll<Result<()>> {
        if self.tx.is_none() {
            return Poll::Ready(Err(gone("msgsnd", &self.object)));
        }
        self.stash(msg);
        Poll::Ready(Ok(()))
    }

    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let Some(task) = &mut self.inflight else {
            return Poll::Ready(if self.tx.is_some() {
                Ok(())
            } else {
                Err(gone("msgsnd", &self.object))
            });
        };
        let done = ready!(Pin::new(task).poll(cx));
        self.inflight = None;
        match done {
            Ok((tx, buf, r)) => {
                self.tx = Some(tx);
                self.spare = buf;
                Poll::Ready(r)
            }
            Err(e) => Poll::Ready(Err(lost("msgsnd", &self.object, &e))),
        }
    }
}

/// What a pool receive hands back, through [`Shared`] so that a dropped end can still
/// put a message back.
struct Slot {
    /// The end was dropped: a message received now goes back into the queue.
    abandoned: bool,
    done: Option<(channel::Receiver, Vec<u8>, Result<usize>)>,
}

type Shared = Arc<Mutex<Slot>>;

/// The sync receiver and the receive running on the pool, if any.
pub(super) struct BlockingReceiver {
    rx: Option<channel::Receiver>,
    inflight: Option<(JoinHandle<()>, Shared)>,
    spare: Vec<u8>,
    object: String,
}

impl std::fmt::Debug for BlockingReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingReceiver")
            .field("rx", &self.rx)
            .field("in_flight", &self.inflight.is_some())
            .field("object", &self.object)
            .finish_non_exhaustive()
    }
}

fn put_back(mut rx: channel::Receiver, buf: &[u8], r: &Result<usize>) {
    if r.is_ok() {
        let _ = rx.put_back(buf);
    }
}

impl BlockingReceiver {
    pub(super) fn new(rx: channel::Receiver, object: String) -> BlockingReceiver {
        BlockingReceiver {
            rx: Some(rx),
            inflight: None,
            spare: Vec::new(),
            object,
        }
    }

    pub(super) fn as_fd_opt(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        None
    }

    pub(super) fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut Vec<u8>,
    ) -> Poll<Result<usize>> {
        loop {
            if let Some((task, shared)) = &mut self.inflight {
                let joined = ready!(Pin::new(task).poll(cx));
                let done = shared.lock().unwrap_or_else(|p| p.into_inner()).done.take();
                self.inflight = None;
                let (rx, mut got, r) = match (joined, done) {
                    (Ok(()), Some(d)) => d,
                    (Err(e), _) => return Poll::Ready(Err(lost("msgrcv", &self.object, &e))),
                    (Ok(()), None) => return Poll::Ready(Err(gone("msgrcv", &self.object))),
                };
                self.rx = Some(rx);
                match r {
                    Err(e) if e.kind() == ErrorKind::TimedOut => self.spare = got,
                    Ok(n) => {
                        std::mem::swap(buf, &mut got);
                        self.spare = got;
                        return Poll::Ready(Ok(n));
                    }
                    Err(e) => {
                        self.spare = got;
                        return Poll::Ready(Err(e));
                    }
                }
            }
            let Some(rx) = &mut self.rx else {
                return Poll::Ready(Err(gone("msgrcv", &self.object)));
            };
            // A message already waiting: no pool thread needed.
            match rx.try_recv(buf) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                r => return Poll::Ready(r),
            }
            let Some(mut rx) = self.rx.take() else {
                unreachable!("checked above")
            };
            let mut got = std::mem::take(&mut self.spare);
            let shared: Shared = Arc::new(Mutex::new(Slot {
                abandoned: false,
                done: None,
            }));
            let slot = Arc::clone(&shared);
            let task = ::tokio::task::spawn_blocking(move || {
                let r = rx.recv_timeout(&mut got, SLICE);
                let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
                if slot.abandoned {
                    put_back(rx, &got, &r);
                } else {
                    slot.done = Some((rx, got, r));
                }
            });
            self.inflight = Some((task, shared));
        }
    }
}

impl Drop for BlockingReceiver {
    fn drop(&mut self) {
        if let Some((_task, shared)) = self.inflight.take() {
            let mut slot = shared.lock().unwrap_or_else(|p| p.into_inner());
            slot.abandoned = true;
            if let Some((rx, got, r)) = slot.done.take() {
                put_back(rx, &got, &r);
            }
        }
    }
}
