//! The `unix:PATH` / `unix:@NAME` transport: a Unix stream socket ([`crate::net::unix`])
//! carrying framed messages.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use super::listener::{Listen, ListenerFlavor};
use super::{Address, Incoming, Outgoing, SocketAddr};
use crate::error::Context;
use crate::net::unix::{UnixListener, UnixStream};
use crate::sys::{io, Deadline};
use crate::{Error, Result};

/// `e` with `object` (an address as typed) in place of the object it named.
pub(super) fn renamed(e: Error, object: &dyn std::fmt::Display) -> Error {
    let mut n = match e.errno() {
        Some(errno) => Error::from_errno(errno, e.op(), object),
        None => Error::new(e.kind(), e.op(), object),
    }
    .with_kind(e.kind());
    if let Some(d) = e.detail() {
        n = n.with_detail(d);
    }
    n
}

/// Connects a stream socket to `name`.
pub(super) fn connect(name: &SocketAddr) -> Result<Outgoing> {
    let stream = UnixStream::connect(name).map_err(|e| renamed(e, &Address::Unix(name.clone())))?;
    Ok(Outgoing::Stream(stream.into()))
}

/// Binds and listens on `name`; the listener removes the socket file on drop.
pub(super) fn listen(name: &SocketAddr) -> Result<(ListenerFlavor, Address)> {
    let address = Address::Unix(name.clone());
    let listener = UnixListener::bind(name).map_err(|e| renamed(e, &address))?;
    Ok((
        ListenerFlavor::Unix(StreamListener {
            name: name.clone(),
            object: address.to_string(),
            listener,
        }),
        address,
    ))
}

/// A listening stream socket: one framed receiver per connection.
#[derive(Debug)]
pub(crate) struct StreamListener {
    name: SocketAddr,
    listener: UnixListener,
    object: String,
}

/// Waits for a pending connection on `listener` until `deadline`; `false` if none came.
pub(super) fn wait_connection(
    listener: impl AsFd,
    deadline: Option<Deadline>,
    object: &str,
) -> Result<bool> {
    io::wait_readable(listener.as_fd(), deadline).ctx("poll", object)
}

impl Listen for StreamListener {
    fn accept(&mut self, deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        if !wait_connection(&self.listener, deadline, &self.object)? {
            return Ok(None);
        }
        let stream = self
            .listener
            .accept()
            .map_err(|e| renamed(e, &self.object))?;
        Ok(Some(Incoming::Stream(OwnedFd::from(stream))))
    }

    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.listener.as_fd())
    }

    fn created_path(&self) -> Option<&Path> {
        self.name.as_path()
    }
}
