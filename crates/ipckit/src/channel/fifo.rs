//! The `fifo:PATH` transport: a FIFO carrying framed messages.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::time::Duration;

use super::listener::{Listen, ListenerFlavor};
use super::{Address, Incoming, Outgoing};
use crate::error::Context;
use crate::fifo::{Fifo, FifoWriter};
use crate::named::Named;
use crate::sys::{io, Deadline};
use crate::{Errno, Error, ErrorKind, Result};

/// The longest pause between two tries of a writer waiting for a reader.
const MAX_RETRY: Duration = Duration::from_millis(10);

/// Opens the write end, waiting at most `timeout` until a reader has the FIFO open
/// ([`Duration::MAX`]: a blocking `open(2)`, as long as it takes).
///
/// A bounded wait tries `open(O_WRONLY | O_NONBLOCK)`, which fails with `ENXIO` while no
/// process has the FIFO open for reading, again every 1 ms growing to 10 ms, so a writer
/// whose reader never comes is never stuck: it fails with `TimedOut`.
pub(super) fn connect(path: &Path, timeout: Duration) -> Result<Outgoing> {
    if timeout == Duration::MAX {
        return FifoWriter::open(path).map(|w| Outgoing::Stream(w.into()));
    }
    let deadline = Deadline::after(timeout);
    let mut pause = Duration::from_millis(1);
    loop {
        match FifoWriter::open_nonblocking(path) {
            Ok(w) => {
                w.set_nonblocking(false)?;
                return Ok(Outgoing::Stream(w.into()));
            }
            Err(e) if e.errno() == Some(Errno::ENXIO) => {}
            Err(e) => return Err(e),
        }
        let left = deadline.remaining();
        if left.is_zero() {
            return Err(
                Error::new(ErrorKind::TimedOut, "open", path.display()).with_detail(format!(
                    "no process opened the FIFO for reading within {} (the connect \
                     timeout, see ChannelOptions::with_connect_timeout)",
                    crate::error::duration_text(timeout)
                )),
            );
        }
        std::thread::sleep(pause.min(left));
        pause = (pause * 2).min(MAX_RETRY);
    }
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
