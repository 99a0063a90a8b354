//! The `unix-seqpacket:` transport: one record per message over a Unix seqpacket socket
//! ([`crate::net::unix`]).

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use super::dgram::{MessageReceiver, MessageSender};
use super::ends::{ReceiverFlavor, SenderFlavor};
use super::listener::{Listen, ListenerFlavor};
use super::unix::{renamed, wait_connection};
use super::{Address, ChannelOptions, Incoming, Outgoing, SocketAddr};
use crate::net::unix::{UnixSeqpacket, UnixSeqpacketListener};
use crate::sys::Deadline;
use crate::Result;

/// Connects a seqpacket socket to `name`.
pub(super) fn connect(name: &SocketAddr, opts: &ChannelOptions) -> Result<Outgoing> {
    let address = Address::UnixSeqpacket(name.clone());
    let sock = UnixSeqpacket::connect(name).map_err(|e| renamed(e, &address))?;
    Ok(Outgoing::Messages(SenderFlavor::UnixSeqpacket(
        MessageSender::new(sock, opts.max_message(), address.to_string()),
    )))
}

/// Binds and listens on `name`; the socket file goes on drop.
pub(super) fn listen(
    name: &SocketAddr,
    opts: &ChannelOptions,
) -> Result<(ListenerFlavor, Address)> {
    let address = Address::UnixSeqpacket(name.clone());
    let listener = UnixSeqpacketListener::bind(name).map_err(|e| renamed(e, &address))?;
    Ok((
        ListenerFlavor::UnixSeqpacket(SeqpacketListener {
            name: name.clone(),
            object: address.to_string(),
            listener,
            max: opts.max_message(),
        }),
        address,
    ))
}

/// A listening seqpacket socket: one receiver per connection.
#[derive(Debug)]
pub(crate) struct SeqpacketListener {
    name: SocketAddr,
    listener: UnixSeqpacketListener,
    object: String,
    max: usize,
}

impl Listen for SeqpacketListener {
    fn accept(&mut self, deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        if !wait_connection(&self.listener, deadline, &self.object)? {
            return Ok(None);
        }
        let sock = self
            .listener
            .accept()
            .map_err(|e| renamed(e, &self.object))?;
        let rx = MessageReceiver::new(sock, self.max, self.object.clone());
        Ok(Some(Incoming::Messages(ReceiverFlavor::UnixSeqpacket(rx))))
    }

    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.listener.as_fd())
    }

    fn created_path(&self) -> Option<&Path> {
        self.name.as_path()
    }
}
