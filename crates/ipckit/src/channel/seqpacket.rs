//! The `unix-seqpacket:` transport: one record per message over a Unix seqpacket socket
//! ([`crate::net::unix`]).

use super::dgram::{MessageReceiver, MessageSender};
use super::unix::{renamed, wait_connection};
use super::{Accept, Address, ChannelOptions, Incoming, Outgoing, SocketAddr};
use crate::net::unix::{UnixSeqpacket, UnixSeqpacketListener};
use crate::sys::Deadline;
use crate::Result;

/// Connects a seqpacket socket to `name`.
pub(super) fn connect(name: &SocketAddr, opts: &ChannelOptions) -> Result<Outgoing> {
    let address = Address::UnixSeqpacket(name.clone());
    let sock = UnixSeqpacket::connect(name).map_err(|e| renamed(e, &address))?;
    Ok(Outgoing::Messages(Box::new(MessageSender::new(
        sock,
        opts.get_max_message(),
        address.to_string(),
    ))))
}

/// Binds and listens on `name`; the socket file goes on drop.
pub(super) fn listen(
    name: &SocketAddr,
    opts: &ChannelOptions,
) -> Result<(Box<dyn Accept>, Address)> {
    let address = Address::UnixSeqpacket(name.clone());
    let listener = UnixSeqpacketListener::bind(name).map_err(|e| renamed(e, &address))?;
    Ok((
        Box::new(SeqpacketAccept {
            name: name.clone(),
            object: address.to_string(),
            listener,
            max: opts.get_max_message(),
        }),
        address,
    ))
}

struct SeqpacketAccept {
    name: SocketAddr,
    listener: UnixSeqpacketListener,
    object: String,
    max: usize,
}

impl Accept for SeqpacketAccept {
    fn accept(&mut self, deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        if !wait_connection(&self.listener, deadline, &self.object)? {
            return Ok(None);
        }
        let sock = self
            .listener
            .accept()
            .map_err(|e| renamed(e, &self.object))?;
        let rx = MessageReceiver::new(sock, self.max, self.object.clone());
        Ok(Some(Incoming::Messages(Box::new(rx))))
    }

    fn created_path(&self) -> Option<&std::path::Path> {
        match &self.name {
            SocketAddr::Path(p) => Some(p),
            _ => None,
        }
    }
}
