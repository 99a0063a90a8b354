//! The `tcp:HOST:PORT` transport: TCP carrying framed messages, `TCP_NODELAY` on.

use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::OwnedFd;

use super::unix::wait_connection;
use super::{Accept, Address, Incoming, Outgoing};
use crate::error::Context;
use crate::sys::Deadline;
use crate::{Error, ErrorKind, Result};

fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    let object = Address::Tcp {
        host: host.to_string(),
        port,
    };
    match (host, port).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(Error::new(ErrorKind::InvalidInput, "resolve", object)
                    .with_detail("the host name has no addresses"))
            } else {
                Ok(addrs)
            }
        }
        Err(e) => Err(Error::new(ErrorKind::InvalidInput, "resolve", object).with_detail(e)),
    }
}

/// Connects to the first address of `host` that accepts, with `TCP_NODELAY`.
pub(super) fn connect(host: &str, port: u16) -> Result<Outgoing> {
    let addrs = resolve(host, port)?;
    let object = || Address::Tcp {
        host: host.to_string(),
        port,
    };
    let stream = TcpStream::connect(&addrs[..]).ctx("connect", object())?;
    stream
        .set_nodelay(true)
        .ctx("setsockopt(TCP_NODELAY)", object())?;
    Ok(Outgoing::Stream(stream.into()))
}

/// Binds and listens; port 0 lets the kernel pick one, reported in the returned address.
pub(super) fn listen(host: &str, port: u16) -> Result<(Box<dyn Accept>, Address)> {
    let addrs = resolve(host, port)?;
    let requested = Address::Tcp {
        host: host.to_string(),
        port,
    };
    let listener = TcpListener::bind(&addrs[..]).ctx("bind", &requested)?;
    let local = listener.local_addr().ctx("getsockname", &requested)?;
    let address = Address::Tcp {
        host: local.ip().to_string(),
        port: local.port(),
    };
    Ok((
        Box::new(TcpAccept {
            object: address.to_string(),
            listener,
        }),
        address,
    ))
}

struct TcpAccept {
    listener: TcpListener,
    object: String,
}

impl Accept for TcpAccept {
    fn accept(&mut self, deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        loop {
            if !wait_connection(&self.listener, deadline, &self.object)? {
                return Ok(None);
            }
            match self.listener.accept() {
                Ok((s, _)) => {
                    s.set_nodelay(true)
                        .ctx("setsockopt(TCP_NODELAY)", &self.object)?;
                    return Ok(Some(Incoming::Stream(OwnedFd::from(s))));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Err::<(), _>(e).ctx("accept", &self.object).unwrap_err()),
            }
        }
    }
}
