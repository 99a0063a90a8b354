//! The `posix-mq:` transport: one POSIX queue message per channel message, priority 0
//! ([`crate::posix::mq`]).
//!
//! The listener creates the queue unless it exists (read-only, mode 0o600, `maxmsg` the
//! system default and `msgsize` = `/proc/sys/fs/mqueue/msgsize_max`, so any message a sender
//! can put there is received, and the receiver's own maximum decides what it accepts). The
//! queue it created is unlinked when the listener and every receiver it gave out are gone;
//! a sender checks the queue's link count before each send and reports `PeerGone` once it
//! was unlinked, rather than filling a queue nobody can read.
//!
//! A receiver notices that its queue was unlinked (by `mq_unlink(3)`, `ipckit rm`, another
//! program): a blocking `recv` waits in slices of at most 500 ms and after each checks the
//! link count of the queue it has open (`fstat(2)` on the descriptor: `st_nlink` is 0 once
//! the name is gone). This is sound where re-opening the name is not: a queue created again
//! under the same name is another inode, and ours still has no link. It then returns
//! [`ErrorKind::NotFound`] naming the queue, within about 500 ms of the removal.

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::time::Duration;

use super::ends::{ReceiverFlavor, SenderFlavor};
use super::listener::{Closed, Listen, ListenerFlavor};
use super::{Address, ChannelOptions, Incoming, Outgoing};
use crate::error::Context;
use crate::named::Named;
use crate::posix::mq::{Limits, MessageQueue};
use crate::sys::{io, Deadline};
use crate::{Error, ErrorKind, Result};

/// Opens the queue write-only.
pub(super) fn connect(name: &str, opts: &ChannelOptions) -> Result<Outgoing> {
    let q = MessageQueue::builder(name).write_only().open()?;
    let max = opts.max_message().min(q.msgsize());
    Ok(Outgoing::Messages(SenderFlavor::PosixMq(MqSender {
        object: Address::PosixMq(name.to_string()).to_string(),
        q,
        max,
    })))
}

/// Creates (or opens) the queue read-only.
pub(super) fn listen(name: &str, opts: &ChannelOptions) -> Result<(ListenerFlavor, Address)> {
    let msgsize = Limits::read().msgsize_max.unwrap_or(8192) as usize;
    let q = MessageQueue::builder(name)
        .read_only()
        .msgsize(msgsize)
        .open_or_create()?;
    let address = Address::PosixMq(name.to_string());
    Ok((
        ListenerFlavor::PosixMq(MqListener {
            object: address.to_string(),
            q: Arc::new(KeptIfFull(q)),
            max: opts.max_message(),
        }),
        address,
    ))
}

/// The queue the receivers share (unlinked, if created here, when the last one goes).
#[derive(Debug)]
pub(crate) struct MqListener {
    q: Arc<KeptIfFull>,
    object: String,
    max: usize,
}

/// The queue a listener created or opened: on drop, a queue created here is unlinked only
/// if it holds no message (or its count cannot be read); otherwise it is kept.
#[derive(Debug)]
pub(crate) struct KeptIfFull(MessageQueue);

impl KeptIfFull {
    fn pending(&self) -> Result<u64> {
        self.0.attr().map(|a| a.curmsgs as u64)
    }
}

impl Drop for KeptIfFull {
    fn drop(&mut self) {
        if self.0.is_owner() && self.pending().map_or(true, |n| n > 0) {
            self.0.persist();
        }
    }
}

/// How long a blocking receive waits before checking that its queue still has a name.
const UNLINK_CHECK: Duration = Duration::from_millis(500);

impl Listen for MqListener {
    fn created_queue(&self) -> Option<&str> {
        self.q.0.is_owner().then(|| self.q.0.name())
    }

    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.q.0.as_fd())
    }

    fn pending_messages(&self) -> Result<Option<u64>> {
        self.q.pending().map(Some)
    }

    fn close(self) -> Result<Closed> {
        let Ok(shared) = Arc::try_unwrap(self.q) else {
            return Ok(Closed::InUse);
        };
        if !shared.0.is_owner() {
            return Ok(Closed::Done);
        }
        let messages = shared.pending()?;
        drop(shared); // unlinks it if empty, keeps it otherwise
        Ok(if messages > 0 {
            Closed::Kept { messages }
        } else {
            Closed::Done
        })
    }

    /// A receiver on the queue, at once.
    fn accept(&mut self, _deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        Ok(Some(Incoming::Messages(ReceiverFlavor::PosixMq(
            MqReceiver {
                q: Arc::clone(&self.q),
                object: self.object.clone(),
                max: self.max,
                scratch: Vec::new(),
            },
        ))))
    }
}

/// A write-only descriptor of the queue.
#[derive(Debug)]
pub(crate) struct MqSender {
    q: MessageQueue,
    object: String,
    max: usize,
}

impl MqSender {
    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.q.as_fd())
    }

    /// What every send checks first: `msg` fits, and the queue still has its name
    /// (unlinked, every receiver gone or removed by hand, nobody can read it any more).
    fn check(&self, msg: &[u8]) -> Result<()> {
        if msg.len() > self.max {
            return Err(super::too_large(
                "mq_send",
                &self.object,
                msg.len(),
                self.max,
            ));
        }
        if io::is_unlinked(self.q.as_fd()).ctx("fstat", &self.object)? {
            return Err(Error::new(ErrorKind::PeerGone, "mq_send", &self.object)
                .with_detail("the queue was unlinked: no receiver can open it any more"));
        }
        Ok(())
    }

    pub(super) fn send(&mut self, msg: &[u8]) -> Result<()> {
        self.check(msg)?;
        self.q.send(msg, 0)
    }

    /// As [`send`](Self::send), but [`ErrorKind::WouldBlock`] at once if the queue is full
    /// (`mq_timedsend(3)` with a deadline already passed), for the async ends.
    #[cfg(feature = "tokio")]
    pub(super) fn try_send(&mut self, msg: &[u8]) -> Result<()> {
        self.check(msg)?;
        self.q.try_send(msg, 0)
    }
}

/// A receiver on the listener's read-only descriptor.
pub(crate) struct MqReceiver {
    q: Arc<KeptIfFull>,
    object: String,
    max: usize,
    // The queue's msgsize may be above `max`: receive here, copy out what is accepted.
    scratch: Vec<u8>,
}

impl MqReceiver {
    fn finish(&mut self, r: Result<(usize, u32)>, buf: &mut Vec<u8>) -> Result<usize> {
        let (n, _prio) = r?;
        if n > self.max {
            return Err(
                Error::new(ErrorKind::TooLarge, "mq_receive", &self.object).with_detail(format!(
                    "message of {n} bytes exceeds the maximum of {} bytes (discarded)",
                    self.max
                )),
            );
        }
        buf.clear();
        buf.extend_from_slice(&self.scratch[..n]);
        Ok(n)
    }
}

/// The queue and the maximum; never the scratch bytes.
impl std::fmt::Debug for MqReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqReceiver")
            .field("q", &self.q)
            .field("object", &self.object)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl MqReceiver {
    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.q.0.as_fd())
    }

    /// `NotFound` naming the queue if it has no name any more (see the module docs).
    fn check_linked(&self) -> Result<()> {
        if io::is_unlinked(self.q.0.as_fd()).ctx("fstat", &self.object)? {
            return Err(Error::new(ErrorKind::NotFound, "mq_receive", &self.object)
                .with_detail(format!("the queue {} was removed (unlinked)", self.object)));
        }
        Ok(())
    }

    /// Waits until `deadline` (`None`: forever) in slices, checking the queue's name.
    fn receive(&mut self, buf: &mut Vec<u8>, deadline: Option<Deadline>) -> Result<usize> {
        loop {
            let left = deadline.map_or(Duration::MAX, |d| d.remaining());
            let r = self
                .q
                .0
                .recv_timeout(&mut self.scratch, left.min(UNLINK_CHECK));
            match r {
                Err(e) if e.kind() == ErrorKind::TimedOut => {
                    self.check_linked()?;
                    if deadline.is_some_and(|d| d.remaining().is_zero()) {
                        return Err(e);
                    }
                }
                r => return self.finish(r, buf),
            }
        }
    }

    pub(super) fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.receive(buf, None)
    }

    pub(super) fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        let r = self.q.0.try_recv(&mut self.scratch);
        if matches!(&r, Err(e) if e.kind() == ErrorKind::WouldBlock) {
            self.check_linked()?;
        }
        self.finish(r, buf)
    }

    pub(super) fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize> {
        self.receive(buf, Some(Deadline::after(timeout)))
    }
}
