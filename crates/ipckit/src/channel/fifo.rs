//! The `fifo:PATH` transport: a FIFO carrying framed messages.

use std::os::fd::AsFd;
use std::path::Path;

use nix::poll::PollFlags;

use super::{Accept, Address, Incoming, Outgoing};
use crate::error::Context;
use crate::fifo::{Fifo, FifoWriter};
use crate::named::Named;
use crate::sys::poll::wait_fd;
use crate::sys::Deadline;
use crate::Result;

/// Opens the write end, waiting until a reader has the FIFO open.
pub(super) fn connect(path: &Path) -> Result<Outgoing> {
    FifoWriter::open(path).map(|w| Outgoing::Stream(w.into()))
}

/// Creates the FIFO unless it exists (removed on drop if created here).
pub(super) fn listen(path: &Path) -> Result<(Box<dyn Accept>, Address)> {
    let fifo = Fifo::open_or_create(path)?;
    Ok((
        Box::new(FifoAccept { fifo }),
        Address::Fifo(path.to_path_buf()),
    ))
}

struct FifoAccept {
    fifo: Fifo,
}

impl Accept for FifoAccept {
    /// Opens the read end without blocking (which lets waiting writers' opens complete),
    /// then waits until a writer has written something or has come and gone.
    fn accept(&mut self, deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        let reader = self.fifo.open_reader_nonblocking()?;
        let ready = wait_fd(reader.as_fd(), PollFlags::POLLIN, deadline)
            .ctx("poll", self.fifo.path().display())?;
        if ready.is_empty() {
            return Ok(None);
        }
        reader.set_nonblocking(false)?;
        Ok(Some(Incoming::Stream(reader.into())))
    }

    fn created_path(&self) -> Option<&Path> {
        self.fifo.is_owner().then(|| self.fifo.path())
    }
}
