//! The `unix:PATH` / `unix:@NAME` transport (a Unix stream socket carrying framed messages),
//! and the naming helpers every Unix socket transport shares.

use std::os::fd::{AsFd, OwnedFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::path::PathBuf;

use nix::errno::Errno;
use nix::poll::PollFlags;

use super::{Accept, Address, Incoming, Outgoing, UnixName};
use crate::error::Context;
use crate::sys::poll::wait_fd;
use crate::sys::Deadline;
use crate::{Error, ErrorKind, Result};

/// The socket address for `name`; abstract names are encoded tight (no padding), as socat
/// and Python do.
pub(super) fn socket_addr(name: &UnixName) -> Result<SocketAddr> {
    match name {
        UnixName::Path(p) => SocketAddr::from_pathname(p).ctx("sockaddr_un", name),
        UnixName::Abstract(n) => {
            SocketAddr::from_abstract_name(n.as_bytes()).ctx("sockaddr_un", name)
        }
    }
}

/// Explains a failed `connect` to a Unix socket name.
pub(super) fn connect_error(e: std::io::Error, name: &UnixName, scheme: &str) -> Error {
    let err = Err::<(), _>(e)
        .ctx("connect", format_args!("{scheme}:{name}"))
        .unwrap_err();
    match (err.errno(), name) {
        (Some(Errno::ENOENT), UnixName::Path(p)) => err.with_detail(format!(
            "no socket file at {} (is the receiver running?)",
            p.display()
        )),
        (Some(Errno::ECONNREFUSED), UnixName::Path(_)) => err.with_detail(
            "no process accepts connections there (the receiver exited, or a stale socket file)",
        ),
        (Some(Errno::ECONNREFUSED), UnixName::Abstract(_)) => {
            err.with_detail("no socket is bound to this abstract name (is the receiver running?)")
        }
        (Some(Errno::EPROTOTYPE), _) => {
            err.with_detail("the socket there is of another type (stream, datagram, seqpacket)")
        }
        _ => err,
    }
}

/// Explains a failed `bind` to a Unix socket name.
pub(super) fn bind_error(e: std::io::Error, name: &UnixName, scheme: &str) -> Error {
    let err = Err::<(), _>(e)
        .ctx("bind", format_args!("{scheme}:{name}"))
        .unwrap_err();
    match (err.errno(), name) {
        (Some(Errno::EADDRINUSE), UnixName::Path(p)) => {
            err.with_kind(ErrorKind::AlreadyExists).with_detail(format!(
                "{} exists; if no process serves it (a socket file left by a crash), remove it and retry",
                p.display()
            ))
        }
        (Some(Errno::EADDRINUSE), UnixName::Abstract(_)) => err
            .with_kind(ErrorKind::AlreadyExists)
            .with_detail("another socket is bound to this abstract name"),
        _ => err,
    }
}

/// Unlinks a socket file bound by this process when dropped.
pub(super) struct SocketFile(pub(super) Option<PathBuf>);

impl SocketFile {
    pub(super) fn for_name(name: &UnixName) -> SocketFile {
        match name {
            UnixName::Path(p) => SocketFile(Some(p.clone())),
            UnixName::Abstract(_) => SocketFile(None),
        }
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Connects a stream socket to `name`.
pub(super) fn connect(name: &UnixName) -> Result<Outgoing> {
    let addr = socket_addr(name)?;
    let stream = UnixStream::connect_addr(&addr).map_err(|e| connect_error(e, name, "unix"))?;
    Ok(Outgoing::Stream(stream.into()))
}

/// Binds and listens on `name`.
pub(super) fn listen(name: &UnixName) -> Result<(Box<dyn Accept>, Address)> {
    let addr = socket_addr(name)?;
    let listener = UnixListener::bind_addr(&addr).map_err(|e| bind_error(e, name, "unix"))?;
    let address = Address::Unix(name.clone());
    Ok((
        Box::new(StreamAccept {
            object: address.to_string(),
            listener,
            _file: SocketFile::for_name(name),
        }),
        address,
    ))
}

struct StreamAccept {
    listener: UnixListener,
    object: String,
    _file: SocketFile,
}

/// Waits for a pending connection on `listener` until `deadline`; `false` if none came.
pub(super) fn wait_connection(
    listener: impl AsFd,
    deadline: Option<Deadline>,
    object: &str,
) -> Result<bool> {
    let ready = wait_fd(listener.as_fd(), PollFlags::POLLIN, deadline).ctx("poll", object)?;
    Ok(!ready.is_empty())
}

impl Accept for StreamAccept {
    fn accept(&mut self, deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        loop {
            if !wait_connection(&self.listener, deadline, &self.object)? {
                return Ok(None);
            }
            match self.listener.accept() {
                Ok((s, _)) => return Ok(Some(Incoming::Stream(OwnedFd::from(s)))),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Err::<(), _>(e).ctx("accept", &self.object).unwrap_err()),
            }
        }
    }
}
