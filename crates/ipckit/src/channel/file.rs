//! The `file:` transport: an append-only spool file ([`crate::file`]), one frame per
//! message, delivered at least once.
//!
//! `connect` opens the spool for appending (creating it, mode 0o600, if missing), so a send
//! succeeds whether or not a receiver runs, and never reports `PeerGone`: the messages wait
//! in the file. Each send is `fdatasync`ed ([`Durability::Synced`]).
//!
//! `listen` opens the spool for reading (creating it if missing) and takes the receiver's
//! lock on `PATH.pos`: a second listener, in any process, gets `AlreadyExists`. `accept`
//! hands out that one receiver at once; while it is out, another `accept` gets
//! `AlreadyExists`, and dropping the receiver gives it back to the listener. Nothing is
//! removed on drop: the spool is durable (remove it with [`crate::file::remove`]).
//!
//! A receiver has no connection, so it never sees `PeerGone`: `recv_timeout` is how it
//! stops waiting. Its fd is the inotify instance that watches the spool.

use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::ends::{ReceiverFlavor, SenderFlavor};
use super::listener::{Listen, ListenerFlavor};
use super::{Address, ChannelOptions, Incoming, Outgoing};
use crate::file::{Durability, SpoolReader, SpoolWriter};
use crate::sys::Deadline;
use crate::{Error, ErrorKind, Result};

/// Opens the spool for appending.
pub(super) fn connect(path: &Path, opts: &ChannelOptions) -> Result<Outgoing> {
    let writer = SpoolWriter::builder(path)
        .durability(Durability::Synced)
        .max_message(opts.max_message())
        .open_or_create()?;
    Ok(Outgoing::Messages(SenderFlavor::File(FileSender {
        writer,
    })))
}

/// Opens the spool for reading, taking the one receiver's lock.
pub(super) fn listen(path: &Path, opts: &ChannelOptions) -> Result<(ListenerFlavor, Address)> {
    let reader = SpoolReader::builder(path)
        .max_message(opts.max_message())
        .open_or_create()?;
    let address = Address::File(path.to_path_buf());
    let fd = File::open(path)
        .map_err(|e| Error::new(ErrorKind::Other, "open", path.display()).with_detail(e))?;
    Ok((
        ListenerFlavor::File(FileListener {
            slot: Arc::new(Mutex::new(Some(reader))),
            object: address.to_string(),
            fd,
        }),
        address,
    ))
}

/// The spool's one reader, while no receiver has it.
#[derive(Debug)]
pub(crate) struct FileListener {
    slot: Arc<Mutex<Option<SpoolReader>>>,
    object: String,
    /// A read-only fd of the spool, for `as_fd_opt` (a regular file: always readable, as
    /// `accept` never waits).
    fd: File,
}

impl Listen for FileListener {
    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.fd.as_fd())
    }

    /// The one receiver, at once; `AlreadyExists` while it is out.
    fn accept(&mut self, _deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        let taken = self.slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        match taken {
            Some(reader) => Ok(Some(Incoming::Messages(ReceiverFlavor::File(
                FileReceiver {
                    reader: Some(reader),
                    slot: Arc::clone(&self.slot),
                },
            )))),
            None => Err(Error::new(ErrorKind::AlreadyExists, "accept", &self.object)
                .with_detail("the spool's one receiver is in use; drop it to accept again")),
        }
    }
}

/// Appends frames to the spool.
#[derive(Debug)]
pub(crate) struct FileSender {
    writer: SpoolWriter,
}

impl FileSender {
    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.writer.as_fd())
    }

    pub(super) fn send(&mut self, msg: &[u8]) -> Result<()> {
        self.writer.send(msg)
    }
}

/// The spool's reader, given back to the listener when dropped.
#[derive(Debug)]
pub(crate) struct FileReceiver {
    /// `Some` until dropped.
    reader: Option<SpoolReader>,
    slot: Arc<Mutex<Option<SpoolReader>>>,
}

impl FileReceiver {
    fn reader(&mut self) -> &mut SpoolReader {
        self.reader
            .as_mut()
            .expect("a receiver holds its reader until dropped")
    }

    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        self.reader.as_ref().map(AsFd::as_fd)
    }

    pub(super) fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.reader().recv(buf)
    }

    pub(super) fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.reader().try_recv(buf)
    }

    pub(super) fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize> {
        self.reader().recv_timeout(buf, timeout)
    }
}

/// Saves the position and gives the reader back to the listener (if it is still there;
/// otherwise the reader is dropped and its lock released).
impl Drop for FileReceiver {
    fn drop(&mut self) {
        if let Some(mut reader) = self.reader.take() {
            let _ = reader.commit();
            if Arc::strong_count(&self.slot) > 1 {
                *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(reader);
            }
        }
    }
}
