//! The `tcp:HOST:PORT` transport: TCP ([`crate::net::tcp`], `TCP_NODELAY` on) carrying
//! framed messages.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::listener::{Listen, ListenerFlavor};
use super::unix::{renamed, wait_connection};
use super::{Address, Incoming, Outgoing};
use crate::error::Context;
use crate::net::tcp;
use crate::sys::Deadline;
use crate::Result;

/// `host:port` as std resolves it (IPv6 in brackets).
fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Connects with `TCP_NODELAY`.
pub(super) fn connect(host: &str, port: u16) -> Result<Outgoing> {
    let stream = tcp::connect(host_port(host, port))?;
    Ok(Outgoing::Stream(stream.into()))
}

/// Binds and listens; port 0 lets the kernel pick one, reported in the returned address.
pub(super) fn listen(host: &str, port: u16) -> Result<(ListenerFlavor, Address)> {
    let listener = tcp::listen(host_port(host, port))?;
    let local = listener
        .local_addr()
        .ctx("getsockname", format_args!("tcp:{}", host_port(host, port)))?;
    let address = Address::Tcp {
        host: local.ip().to_string(),
        port: local.port(),
    };
    Ok((
        ListenerFlavor::Tcp(TcpListener {
            object: address.to_string(),
            listener,
        }),
        address,
    ))
}

/// A listening TCP socket: one framed receiver per connection.
#[derive(Debug)]
pub(crate) struct TcpListener {
    listener: std::net::TcpListener,
    object: String,
}

impl Listen for TcpListener {
    fn accept(&mut self, deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        if !wait_connection(&self.listener, deadline, &self.object)? {
            return Ok(None);
        }
        let stream = tcp::accept(&self.listener).map_err(|e| renamed(e, &self.object))?;
        Ok(Some(Incoming::Stream(OwnedFd::from(stream))))
    }

    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.listener.as_fd())
    }
}
