//! The `fifo:PATH` transport: a FIFO carrying framed messages.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use super::listener::{Listen, ListenerFlavor};
use super::{Address, Incoming, Outgoing};
use crate::error::Context;
use crate::fifo::{Fifo, FifoWriter};
use crate::named::Named;
use crate::sys::{io, Deadline};
use crate::Result;

/// Opens the write end, waiting until a reader has the FIFO open.
pub(super) fn connect(path: &Path) -> Result<Outgoing> {
    FifoWriter::open(path).map(|w| Outgoing::Stream(w.into()))
}

/// Creates the FIFO unless it exists (removed on drop if created here).
pub(super) fn listen(path: &Path) -> Result<(ListenerFlavor, Address)> {
    let fifo = Fifo::open_or_create(path)?;
    Ok((
        ListenerFlavor::Fifo(FifoListener { fifo }),
        Address::Fifo(path.to_path_buf()),
    ))
}

/// A FIFO on the file system (created unless it existed): each accept opens its read end.
#[derive(Debug)]
pub(crate) struct FifoListener {
    fifo: Fifo,
}

#[cfg(feature = "tokio")]
impl FifoListener {
    /// The next read end, opened without blocking (which lets waiting writers' opens
    /// complete): the async accept waits for it to become readable itself.
    pub(super) fn open_reader(&self) -> Result<std::os::fd::OwnedFd> {
        self.fifo.open_reader_nonblocking().map(Into::into)
    }
}

impl Listen for FifoListener {
    /// Opens the read end without blocking (which lets waiting writers' opens complete),
    /// then waits until a writer has written something or has come and gone.
    fn accept(&mut self, deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        let reader = self.fifo.open_reader_nonblocking()?;
        let ready =
            io::wait_readable(reader.as_fd(), deadline).ctx("poll", self.fifo.path().display())?;
        if !ready {
            return Ok(None);
        }
        reader.set_nonblocking(false)?;
        Ok(Some(Incoming::Stream(reader.into())))
    }

    /// None: the listener holds a path; the read end is opened by each accept.
    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        None
    }

    fn created_path(&self) -> Option<&Path> {
        self.fifo.is_owner().then(|| self.fifo.path())
    }
}
