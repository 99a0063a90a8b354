//! The `unix-seqpacket:` transport: one record per message, over `ipckit::net::unix`.

use super::{Accept, Address, ChannelOptions, Outgoing, UnixName};
use crate::{Error, ErrorKind, Result};

fn pending(name: &UnixName) -> Error {
    Error::new(
        ErrorKind::Other,
        "socket",
        format_args!("unix-seqpacket:{name}"),
    )
    .with_detail("seqpacket sockets come with ipckit::net::unix (not merged yet)")
}

/// Connects a seqpacket socket to `name`.
pub(super) fn connect(name: &UnixName, _opts: &ChannelOptions) -> Result<Outgoing> {
    Err(pending(name))
}

/// Binds and listens on `name`.
pub(super) fn listen(
    name: &UnixName,
    _opts: &ChannelOptions,
) -> Result<(Box<dyn Accept>, Address)> {
    Err(pending(name))
}
