//! The `posix-mq:` transport: one POSIX queue message per channel message, priority 0
//! ([`crate::posix::mq`]).
//!
//! The listener creates the queue unless it exists (read-only, mode 0o600, `maxmsg` the
//! system default and `msgsize` = `/proc/sys/fs/mqueue/msgsize_max`, so any message a sender
//! can put there is received, and the receiver's own maximum decides what it accepts). The
//! queue it created is unlinked when the listener and every receiver it gave out are gone;
//! a sender checks the queue's link count before each send and reports `PeerGone` once it
//! was unlinked, rather than filling a queue nobody can read.

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::time::Duration;

use super::ends::{ReceiverFlavor, SenderFlavor};
use super::listener::{Listen, ListenerFlavor};
use super::{Address, ChannelOptions, Incoming, Outgoing};
use crate::error::Context;
use crate::named::Named;
use crate::posix::mq::{Limits, MessageQueue};
use crate::sys::{io, Deadline};
use crate::{Error, ErrorKind, Result};

fn too_large(op: &'static str, object: &str, len: usize, max: usize) -> Error {
    Error::new(ErrorKind::TooLarge, op, object).with_detail(format!(
        "message of {len} bytes exceeds the maximum of {max} bytes"
    ))
}

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
            q: Arc::new(q),
            max: opts.max_message(),
        }),
        address,
    ))
}

/// The queue the receivers share (unlinked, if created here, when the last one goes).
#[derive(Debug)]
pub(crate) struct MqListener {
    q: Arc<MessageQueue>,
    object: String,
    max: usize,
}

impl Listen for MqListener {
    fn created_queue(&self) -> Option<&str> {
        self.q.is_owner().then(|| self.q.name())
    }

    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.q.as_fd())
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

    pub(super) fn send(&mut self, msg: &[u8]) -> Result<()> {
        if msg.len() > self.max {
            return Err(too_large("mq_send", &self.object, msg.len(), self.max));
        }
        // Unlinked (every receiver gone, or removed by hand): nobody can read it any more.
        if io::is_unlinked(self.q.as_fd()).ctx("fstat", &self.object)? {
            return Err(Error::new(ErrorKind::PeerGone, "mq_send", &self.object)
                .with_detail("the queue was unlinked: no receiver can open it any more"));
        }
        self.q.send(msg, 0)
    }
}

/// A receiver on the listener's read-only descriptor.
pub(crate) struct MqReceiver {
    q: Arc<MessageQueue>,
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
        Some(self.q.as_fd())
    }

    pub(super) fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        let r = self.q.recv(&mut self.scratch);
        self.finish(r, buf)
    }

    pub(super) fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        let r = self.q.try_recv(&mut self.scratch);
        self.finish(r, buf)
    }

    pub(super) fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize> {
        let r = self.q.recv_timeout(&mut self.scratch, timeout);
        self.finish(r, buf)
    }
}
