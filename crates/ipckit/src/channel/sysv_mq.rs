//! The `sysv-mq:` transport: one System V message per channel message
//! ([`crate::sysv::msg`]), sent with the address's type (1 if it has none).
//!
//! `listen` opens the queue, creating it (mode 0o600) if no queue has the key; the queue it
//! created is removed when the listener and every receiver it gave out are dropped, but
//! only if it is empty: a queue that still holds messages is kept (see
//! [`Listener::close`](super::Listener::close), which says how many). `accept`
//! returns a receiver at once (a queue has no connections): with a type in the address
//! (`sysv-mq:KEY:T`) it takes only messages of that type, so channels with different types
//! can share one queue; without one it takes messages of any type, oldest first (`msgtyp`
//! 0). `connect` opens an
//! existing queue ([`ErrorKind::NotFound`] if nobody listens).
//!
//! Like datagrams, a queue has no connection: a receiver is never told that its senders
//! left. A sender sees [`ErrorKind::PeerGone`] once the listener removed the queue. Messages
//! are limited by `msgmax` (`/proc/sys/kernel/msgmax`, 8192 bytes by default): a longer one
//! is [`ErrorKind::TooLarge`] for the sender, and nothing is sent.
//!
//! Timed and non-blocking receives poll with `IPC_NOWAIT` (see [`crate::sysv::msg`]).

use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::time::Duration;

use super::ends::{ReceiverFlavor, SenderFlavor};
use super::listener::{Closed, Listen, ListenerFlavor};
use super::{Address, ChannelOptions, Incoming, Outgoing};
use crate::named::Named;
use crate::sys::Deadline;
use crate::sysv::kernel_limit;
use crate::sysv::key::KeySpec;
use crate::sysv::msg::{MessageQueue, RecvFlags, Selector, Wait};
use crate::{Error, ErrorKind, Result};

fn address(key: &KeySpec, mtype: Option<i64>) -> Address {
    Address::SysvMq {
        key: key.clone(),
        mtype,
    }
}

/// A removed queue is the receiver gone, for a sender.
fn gone(e: Error, object: &str) -> Error {
    if e.kind() == ErrorKind::NotFound {
        Error::new(ErrorKind::PeerGone, e.op(), object)
            .with_detail("the queue was removed: the receiver is gone")
    } else {
        e
    }
}

/// The queue, opened to send messages of one type.
#[derive(Debug)]
pub(crate) struct MqSender {
    queue: MessageQueue,
    mtype: i64,
    max: usize,
    object: String,
}

impl MqSender {
    /// None: a System V queue is not a file.
    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        None
    }

    pub(super) fn send(&mut self, msg: &[u8]) -> Result<()> {
        if msg.len() > self.max {
            return Err(super::too_large("send", &self.object, msg.len(), self.max));
        }
        self.queue
            .send(self.mtype, msg)
            .map_err(|e| gone(e, &self.object))
    }
}

/// The listener's queue, receiving messages of one type (or any: `None`).
#[derive(Debug)]
pub(crate) struct MqReceiver {
    queue: Arc<KeptIfFull>,
    mtype: Option<i64>,
    /// The `mtype` of the last message received (what `put_back` sends it again with).
    last_mtype: i64,
    max: usize,
    object: String,
}

impl MqReceiver {
    fn receive(&mut self, buf: &mut Vec<u8>, wait: Wait) -> Result<usize> {
        let sel = self.mtype.map_or(Selector::Any, Selector::Exactly);
        match self
            .queue
            .0
            .recv_with(sel, buf, self.max, RecvFlags::EMPTY, wait)
        {
            Ok(mtype) => {
                self.last_mtype = mtype;
                Ok(buf.len())
            }
            Err(e) if e.kind() == ErrorKind::TooLarge => {
                // Take it off the queue (MSG_NOERROR into 0 bytes) so the next one arrives.
                let mut none = Vec::new();
                let _ = self
                    .queue
                    .0
                    .recv_with(sel, &mut none, 0, RecvFlags::NOERROR, Wait::NoWait);
                buf.clear();
                Err(
                    Error::new(ErrorKind::TooLarge, "recv", &self.object).with_detail(format!(
                        "message longer than this receiver's maximum of {} bytes (discarded)",
                        self.max
                    )),
                )
            }
            // EIDRM while waiting (PeerGone), or EINVAL/NotFound for a queue removed before.
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::PeerGone) => {
                Err(Error::new(ErrorKind::NotFound, "recv", &self.object)
                    .with_detail(format!("the queue {} was removed", self.object)))
            }
            Err(e) => Err(e),
        }
    }
}

impl MqReceiver {
    /// None: a System V queue is not a file.
    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        None
    }

    pub(super) fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.receive(buf, Wait::Block)
    }

    pub(super) fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.receive(buf, Wait::NoWait)
    }

    pub(super) fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize> {
        self.receive(buf, Wait::Timeout(timeout))
    }
}

#[cfg(feature = "tokio")]
impl MqReceiver {
    /// Puts the message a dropped async receiver took last back at the end of the queue
    /// (`msgsnd(2)`, `IPC_NOWAIT`, with the `mtype` it had), so that it is not lost.
    pub(super) fn put_back(&self, msg: &[u8]) -> Result<()> {
        self.queue.0.try_send(self.last_mtype, msg)
    }
}

/// The largest message: the channel's maximum, capped at `msgmax`.
fn max_message(opts: &ChannelOptions) -> usize {
    let msgmax = kernel_limit("msgmax").map_or(8192, |v| v as usize);
    opts.max_message().min(msgmax)
}

/// A sender on the existing queue.
pub(super) fn connect(
    key: &KeySpec,
    mtype: Option<i64>,
    opts: &ChannelOptions,
) -> Result<Outgoing> {
    let object = address(key, mtype).to_string();
    let queue = MessageQueue::builder(key.resolve()?).open()?;
    Ok(Outgoing::Messages(SenderFlavor::SysvMq(MqSender {
        queue,
        mtype: mtype.unwrap_or(1),
        // Above msgmax the queue itself says TooLarge, with the limit.
        max: opts.max_message(),
        object,
    })))
}

/// The queue, created if missing (and then removed when the listener and its receivers
/// are gone).
pub(super) fn listen(
    key: &KeySpec,
    mtype: Option<i64>,
    opts: &ChannelOptions,
) -> Result<(ListenerFlavor, Address)> {
    let addr = address(key, mtype);
    let queue = MessageQueue::builder(key.resolve()?).open_or_create()?;
    Ok((
        ListenerFlavor::SysvMq(MqListener {
            queue: Arc::new(KeptIfFull(queue)),
            mtype,
            max: max_message(opts),
            object: addr.to_string(),
        }),
        addr,
    ))
}

/// The queue the receivers share (removed, if created here, when the last one goes).
#[derive(Debug)]
pub(crate) struct MqListener {
    queue: Arc<KeptIfFull>,
    mtype: Option<i64>,
    max: usize,
    object: String,
}

/// The queue a listener created or opened: on drop, a queue created here is removed only if
/// it holds no message (or its count cannot be read); otherwise it is kept.
#[derive(Debug)]
pub(crate) struct KeptIfFull(MessageQueue);

impl KeptIfFull {
    fn pending(&self) -> Result<u64> {
        self.0.stat().map(|st| st.qnum)
    }
}

impl Drop for KeptIfFull {
    fn drop(&mut self) {
        if self.0.is_owner() && self.pending().map_or(true, |n| n > 0) {
            self.0.persist();
        }
    }
}

impl Listen for MqListener {
    fn pending_messages(&self) -> Result<Option<u64>> {
        self.queue.pending().map(Some)
    }

    fn close(self) -> Result<Closed> {
        let Ok(shared) = Arc::try_unwrap(self.queue) else {
            return Ok(Closed::InUse);
        };
        if !shared.0.is_owner() {
            return Ok(Closed::Done);
        }
        let messages = shared.pending()?;
        drop(shared); // removes it if empty, keeps it otherwise
        Ok(if messages > 0 {
            Closed::Kept { messages }
        } else {
            Closed::Done
        })
    }

    /// None: a System V queue is not a file.
    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        None
    }

    /// A receiver on the queue, at once.
    fn accept(&mut self, _deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        Ok(Some(Incoming::Messages(ReceiverFlavor::SysvMq(
            MqReceiver {
                queue: Arc::clone(&self.queue),
                mtype: self.mtype,
                last_mtype: 1,
                max: self.max,
                object: self.object.clone(),
            },
        ))))
    }
}
