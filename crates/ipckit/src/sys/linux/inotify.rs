//! `inotify(7)`: being told that a file changed, without polling it.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

use crate::sys::{errno, Deadline};
use crate::Errno;

/// One inotify instance (`IN_CLOEXEC | IN_NONBLOCK`) watching one file for writes
/// (`IN_MODIFY`) and for losing its name or being replaced (`IN_ATTRIB`, which a change of
/// the link count raises, `IN_DELETE_SELF`, `IN_MOVE_SELF`).
#[derive(Debug)]
pub(crate) struct Watch {
    ino: Inotify,
}

impl Watch {
    /// Watches `path`.
    pub(crate) fn new(path: &Path) -> Result<Watch, Errno> {
        let ino = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK).map_err(errno)?;
        ino.add_watch(
            path,
            AddWatchFlags::IN_MODIFY
                | AddWatchFlags::IN_ATTRIB
                | AddWatchFlags::IN_DELETE_SELF
                | AddWatchFlags::IN_MOVE_SELF,
        )
        .map_err(errno)?;
        Ok(Watch { ino })
    }

    /// Reads and discards every queued event (never blocks).
    pub(crate) fn drain(&self) -> Result<(), Errno> {
        loop {
            match self.ino.read_events() {
                Ok(events) if !events.is_empty() => continue,
                Ok(_) | Err(nix::errno::Errno::EAGAIN) => return Ok(()),
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(errno(e)),
            }
        }
    }

    /// Waits until an event is queued or `deadline` passes (`None`: forever); `true` if an
    /// event is queued.
    pub(crate) fn wait(&self, deadline: Option<Deadline>) -> Result<bool, Errno> {
        crate::sys::io::wait_readable(self.ino.as_fd(), deadline)
    }
}

impl AsFd for Watch {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.ino.as_fd()
    }
}
