//! An append-only spool file: messages that survive the receiver's absence, a killed
//! process, and (with [`Durability::Synced`]) a reboot. The `file:PATH` channel transport.
//!
//! Plain file exchange has two problems: several writers collide, and a reader has no
//! efficient way to notice new data. A spool solves both:
//! - **Senders** ([`SpoolWriter`]) append each message as one *frame* under an exclusive
//!   [`crate::lock::Lock`] on the file (an open file description lock), so frames of
//!   several senders, in any number of processes, never interleave.
//! - **The receiver** ([`SpoolReader`]) follows the file with `inotify(7)` (no polling: it
//!   sleeps in `poll(2)` on the inotify fd until a sender writes) and keeps its position in
//!   a sidecar file, `PATH.pos`, so a receiver started again continues where the last one
//!   stopped. One receiver per spool: it holds an exclusive lock on the sidecar, and a
//!   second one gets [`ErrorKind::AlreadyExists`].
//!
//! # File format (version 1)
//! A 24-byte header: the magic `b"IPCKSPL1"`, then the *committed end* (u64 LE: the offset
//! just past the last whole frame) and its bitwise complement (u64 LE), so a torn read of
//! the header is recognised and retried. Then frames from offset 24: a length (u32 LE), a
//! CRC-32 (IEEE, u32 LE) of the payload, the payload.
//!
//! # What a sender does, and a sender killed half-way
//! Under the exclusive lock, a sender reads the committed end `E`, writes its frame at `E`
//! (`pwrite`), then writes the new committed end into the header. A reader reads only up to
//! the committed end. A sender killed while writing its frame (`kill -9`) has not moved the
//! committed end, so its torn frame is **never seen**: the next sender writes over it, and
//! its `send` was never answered with success. Nothing is delivered that was not written
//! whole, and later messages are delivered. The CRC catches what this cannot: a frame
//! damaged on disk, or whose data did not reach the disk before the header after a power
//! loss with [`Durability::Buffered`]; such a frame is reported as
//! [`ErrorKind::InvalidData`] and skipped (its length is still trusted if it stays within
//! the committed end; otherwise the receiver cannot resynchronise and keeps reporting it).
//!
//! # Delivery: at least once
//! The receiver writes its position to `PATH.pos` (16 bytes: offset and complement, one
//! `pwrite`) *after* delivery: when the next receive begins (the caller is back for more,
//! so it has dealt with the last message), on [`SpoolReader::commit`], and on drop. So if
//! the receiving process dies (`kill -9`) between getting a message and asking for the next
//! one, **that one message is delivered again** to the next receiver; no message is ever
//! skipped. Receivers must tolerate one repeat (make the handling idempotent, or dedupe by a
//! sequence number inside the message). The sidecar is not `fdatasync`ed: after a power
//! loss the position may be older, and more than one message may repeat (still none lost).
//!
//! # Growth
//! The spool only grows: nothing is ever removed from it, delivered or not, and there is no
//! size limit. Compaction (dropping the delivered prefix) is not implemented; a program
//! that runs forever should rotate spools itself (a new path per period) and delete old
//! ones with their `.pos` once delivered. Removing a spool while a receiver follows it
//! ends that receiver with [`ErrorKind::NotFound`].
//!
//! # Examples
//! ```
//! use ipckit::file::{SpoolReader, SpoolWriter};
//! let path = std::env::temp_dir().join(format!("ipckit-doc-spool-{}", std::process::id()));
//! let mut tx = SpoolWriter::builder(&path).open_or_create()?;
//! tx.send(b"written while nobody reads")?;
//! drop(tx);
//! let mut rx = SpoolReader::builder(&path).open()?;
//! let mut buf = Vec::new();
//! rx.recv(&mut buf)?;
//! assert_eq!(buf, b"written while nobody reads");
//! drop(rx);
//! ipckit::file::remove(&path)?; // the spool and its PATH.pos
//! # Ok::<(), ipckit::Error>(())
//! ```
//!
//! # References
//! - <https://man7.org/linux/man-pages/man7/inotify.7.html>
//! - <https://man7.org/linux/man-pages/man2/fcntl.2.html> (open file description locks)
//! - <https://man7.org/linux/man-pages/man2/fdatasync.2.html>

use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Context;
use crate::lock::Lock;
use crate::sys::inotify::Watch;
use crate::sys::Deadline;
use crate::{Error, ErrorKind, Result};

mod crc;

/// The header's magic, version 1.
const MAGIC: &[u8; 8] = b"IPCKSPL1";
/// Header length in bytes; the first frame starts here.
pub const HEADER_LEN: u64 = 24;
/// Frame header: length (u32 LE) and CRC-32 (u32 LE).
const FRAME_HEAD: u64 = 8;
/// The largest message by default: 16 MiB, as the channels'.
const DEFAULT_MAX: usize = crate::channel::DEFAULT_MAX_MESSAGE;

/// Whether a send waits until the frame is on the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `fdatasync(2)` after the frame and again after the header: once `send` returns, the
    /// message survives a power loss or a crash of the machine. The default; costs two disk
    /// flushes per message on a real disk (nothing on tmpfs).
    #[default]
    #[doc(alias = "fdatasync")]
    Synced,
    /// The page cache only: a message survives any process being killed, not a crash of
    /// the kernel or a power loss (then the last messages may be lost, or a frame whose data
    /// did not reach the disk is reported as `InvalidData`).
    Buffered,
}

/// The path of a spool's position sidecar: `PATH.pos`.
pub fn position_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".pos");
    PathBuf::from(p)
}

/// Removes a spool and its `PATH.pos` sidecar (a missing sidecar is not an error).
///
/// # Errors
/// [`ErrorKind::NotFound`] if the spool does not exist; others from `unlink(2)`.
///
/// # Examples
/// See the [module docs](self).
pub fn remove(path: &Path) -> Result<()> {
    std::fs::remove_file(path).map_err(|e| io_error(e, "unlink", path.display()))?;
    match std::fs::remove_file(position_path(path)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(io_error(e, "unlink", position_path(path).display()))
        }
        _ => Ok(()),
    }
}

fn io_error(e: std::io::Error, op: &'static str, object: impl std::fmt::Display) -> Error {
    match crate::Errno::from_io_error(&e) {
        Some(errno) => Error::from_errno(errno, op, object),
        None => Error::new(ErrorKind::Other, op, object).with_detail(e),
    }
}

/// Opens (creating with mode 0o600 if missing) `path` for reading and writing, and writes
/// the header if the file is new, under the exclusive lock.
fn open_spool(path: &Path, create: bool) -> Result<File> {
    let file = File::options()
        .read(true)
        .write(true)
        .create(create)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_error(e, "open", path.display()))?;
    let size = file
        .metadata()
        .map_err(|e| io_error(e, "fstat", path.display()))?
        .len();
    if size < HEADER_LEN {
        let _g = Lock::exclusive().lock(&file)?;
        let size = file
            .metadata()
            .map_err(|e| io_error(e, "fstat", path.display()))?
            .len();
        if size == 0 {
            write_end(&file, HEADER_LEN, path)?;
            file.sync_data()
                .map_err(|e| io_error(e, "fdatasync", path.display()))?;
        } else if size < HEADER_LEN {
            return Err(not_a_spool(path, "shorter than the 24-byte header"));
        }
    }
    read_end(&file, path)?;
    Ok(file)
}

fn not_a_spool(path: &Path, why: &str) -> Error {
    Error::new(ErrorKind::InvalidData, "open", path.display())
        .with_detail(format!("not an ipckit spool file: {why}"))
}

/// Writes the header with committed end `end`.
fn write_end(file: &File, end: u64, path: &Path) -> Result<()> {
    let mut h = [0u8; HEADER_LEN as usize];
    h[..8].copy_from_slice(MAGIC);
    h[8..16].copy_from_slice(&end.to_le_bytes());
    h[16..24].copy_from_slice(&(!end).to_le_bytes());
    file.write_all_at(&h, 0)
        .map_err(|e| io_error(e, "pwrite", path.display()))
}

/// Reads the committed end; a torn read (end and complement disagree) is retried.
fn read_end(file: &File, path: &Path) -> Result<u64> {
    for _ in 0..1000 {
        let mut h = [0u8; HEADER_LEN as usize];
        file.read_exact_at(&mut h, 0)
            .map_err(|e| io_error(e, "pread", path.display()))?;
        if &h[..8] != MAGIC {
            return Err(not_a_spool(path, "bad magic (expected IPCKSPL1)"));
        }
        let end = u64::from_le_bytes(h[8..16].try_into().expect("8 bytes"));
        let check = u64::from_le_bytes(h[16..24].try_into().expect("8 bytes"));
        if end == !check {
            if end < HEADER_LEN {
                return Err(not_a_spool(path, "committed end inside the header"));
            }
            return Ok(end);
        }
        std::thread::yield_now();
    }
    Err(not_a_spool(
        path,
        "the header's committed end and its check never agree",
    ))
}

/// Builds a [`SpoolWriter`]: [`SpoolWriter::builder`], then [`open_or_create`] or [`open`].
///
/// [`open_or_create`]: SpoolWriterBuilder::open_or_create
/// [`open`]: SpoolWriterBuilder::open
#[derive(Debug, Clone)]
pub struct SpoolWriterBuilder {
    path: PathBuf,
    durability: Durability,
    max_message: usize,
}

impl SpoolWriterBuilder {
    /// How each send waits for the disk (default [`Durability::Synced`]).
    pub fn durability(mut self, durability: Durability) -> SpoolWriterBuilder {
        self.durability = durability;
        self
    }

    /// The largest message [`SpoolWriter::send`] accepts, in bytes (default 16 MiB; at
    /// most 4 GiB - 1, what a frame's length can say).
    pub fn max_message(mut self, bytes: usize) -> SpoolWriterBuilder {
        self.max_message = bytes.min(u32::MAX as usize);
        self
    }

    /// Opens the spool for appending, creating it (mode 0o600, header written) if missing.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidData`] if the file exists and is not a spool;
    /// [`ErrorKind::PermissionDenied`]; others from `open(2)`.
    ///
    /// # Examples
    /// See the [module docs](self).
    pub fn open_or_create(self) -> Result<SpoolWriter> {
        self.finish(true)
    }

    /// Opens an existing spool for appending.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if it does not exist; others as
    /// [`open_or_create`](Self::open_or_create).
    pub fn open(self) -> Result<SpoolWriter> {
        self.finish(false)
    }

    fn finish(self, create: bool) -> Result<SpoolWriter> {
        let file = open_spool(&self.path, create)?;
        Ok(SpoolWriter {
            file,
            object: self.path.display().to_string(),
            path: self.path,
            durability: self.durability,
            max_message: self.max_message,
            frame: Vec::new(),
        })
    }
}

/// The sending side of a spool: appends whole messages (see the [module docs](self)).
///
/// Any number of writers, in any processes, may append to one spool at once.
///
/// # Examples
/// See the [module docs](self).
#[derive(Debug)]
pub struct SpoolWriter {
    file: File,
    path: PathBuf,
    object: String,
    durability: Durability,
    max_message: usize,
    frame: Vec<u8>,
}

impl SpoolWriter {
    /// A builder for the spool at `path`.
    pub fn builder(path: impl AsRef<Path>) -> SpoolWriterBuilder {
        SpoolWriterBuilder {
            path: path.as_ref().to_path_buf(),
            durability: Durability::default(),
            max_message: DEFAULT_MAX,
        }
    }

    /// The spool's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `msg` as one frame: takes the exclusive lock (`F_OFD_SETLKW`, waiting for
    /// another sender's append to finish), writes the frame at the committed end
    /// (`pwrite`), `fdatasync`s it ([`Durability::Synced`]), moves the committed end past
    /// it, `fdatasync`s again, unlocks. Once this returns `Ok`, the receiver (now or later)
    /// gets `msg`; a send cut short by the death of this process delivers nothing.
    ///
    /// # Errors
    /// [`ErrorKind::TooLarge`] above the maximum (nothing written);
    /// [`ErrorKind::InvalidData`] if the file's header is not a spool's; `ENOSPC`
    /// ([`ErrorKind::LimitReached`]) when the disk is full (the frame is not committed);
    /// others from `pwrite`/`fdatasync`.
    ///
    /// # Examples
    /// See the [module docs](self).
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/pwrite.2.html>,
    /// <https://man7.org/linux/man-pages/man2/fdatasync.2.html>
    pub fn send(&mut self, msg: &[u8]) -> Result<()> {
        if msg.len() > self.max_message {
            return Err(
                Error::new(ErrorKind::TooLarge, "send", &self.object).with_detail(format!(
                    "message of {} bytes exceeds the maximum of {} bytes",
                    msg.len(),
                    self.max_message
                )),
            );
        }
        self.frame.clear();
        self.frame
            .extend_from_slice(&(msg.len() as u32).to_le_bytes());
        self.frame.extend_from_slice(&crc::crc32(msg).to_le_bytes());
        self.frame.extend_from_slice(msg);
        let _g = Lock::exclusive().lock(&self.file)?;
        let end = read_end(&self.file, &self.path)?;
        let sync = |f: &File| match self.durability {
            Durability::Synced => f
                .sync_data()
                .map_err(|e| io_error(e, "fdatasync", &self.object)),
            Durability::Buffered => Ok(()),
        };
        self.file
            .write_all_at(&self.frame, end)
            .map_err(|e| io_error(e, "pwrite", &self.object))?;
        sync(&self.file)?;
        write_end(&self.file, end + self.frame.len() as u64, &self.path)?;
        sync(&self.file)
    }
}

impl AsFd for SpoolWriter {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

/// Builds a [`SpoolReader`]: [`SpoolReader::builder`], then [`open_or_create`] or
/// [`open`].
///
/// [`open_or_create`]: SpoolReaderBuilder::open_or_create
/// [`open`]: SpoolReaderBuilder::open
#[derive(Debug, Clone)]
pub struct SpoolReaderBuilder {
    path: PathBuf,
    max_message: usize,
}

impl SpoolReaderBuilder {
    /// The largest message [`SpoolReader::recv`] accepts, in bytes (default 16 MiB); a
    /// larger one is skipped with [`ErrorKind::TooLarge`] before anything is allocated.
    pub fn max_message(mut self, bytes: usize) -> SpoolReaderBuilder {
        self.max_message = bytes;
        self
    }

    /// Opens the spool for reading, creating it (mode 0o600) if missing, and its sidecar
    /// `PATH.pos` (mode 0o600), and takes the exclusive lock on the sidecar.
    ///
    /// # Errors
    /// [`ErrorKind::AlreadyExists`] if another receiver (in any process) has this spool;
    /// [`ErrorKind::InvalidData`] if the file is not a spool or the sidecar is damaged;
    /// others from `open(2)` and `inotify_add_watch(2)`.
    pub fn open_or_create(self) -> Result<SpoolReader> {
        self.finish(true)
    }

    /// Like [`open_or_create`](Self::open_or_create), for a spool that must exist.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if it does not; others as `open_or_create`.
    ///
    /// # Examples
    /// See the [module docs](self).
    pub fn open(self) -> Result<SpoolReader> {
        self.finish(false)
    }

    fn finish(self, create: bool) -> Result<SpoolReader> {
        let file = open_spool(&self.path, create)?;
        let object = self.path.display().to_string();
        let pos_path = position_path(&self.path);
        let pos_file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&pos_path)
            .map_err(|e| io_error(e, "open", pos_path.display()))?;
        let guard = match Lock::exclusive().try_lock(pos_file) {
            Ok(g) => g,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                return Err(
                    Error::new(ErrorKind::AlreadyExists, "open", &object).with_detail(format!(
                        "another receiver holds this spool (the lock on {}): one receiver \
                         per spool",
                        pos_path.display()
                    )),
                )
            }
            Err(e) => return Err(e),
        };
        let pos = read_position(guard.file(), &pos_path)?;
        // Watch before the first look at the committed end, so no append is missed.
        let watch = Watch::new(&self.path).ctx("inotify_add_watch", &object)?;
        let end = read_end(&file, &self.path)?;
        if pos > end {
            return Err(
                Error::new(ErrorKind::InvalidData, "open", pos_path.display()).with_detail(
                    format!(
                        "the saved position {pos} is past the spool's end {end}: a sidecar of \
                     another spool?"
                    ),
                ),
            );
        }
        Ok(SpoolReader {
            file,
            pos_lock: guard,
            watch,
            path: self.path,
            object,
            pos,
            saved: pos,
            max_message: self.max_message,
        })
    }
}

/// The saved position, [`HEADER_LEN`] for a new (empty) sidecar.
fn read_position(f: &File, path: &Path) -> Result<u64> {
    let mut b = [0u8; 16];
    let n = f
        .read_at(&mut b, 0)
        .map_err(|e| io_error(e, "pread", path.display()))?;
    if n == 0 {
        return Ok(HEADER_LEN);
    }
    let pos = u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
    let check = u64::from_le_bytes(b[8..].try_into().expect("8 bytes"));
    if n != 16 || pos != !check || pos < HEADER_LEN {
        return Err(Error::new(ErrorKind::InvalidData, "open", path.display())
            .with_detail("damaged position sidecar (remove it to read the spool from the start)"));
    }
    Ok(pos)
}

/// The receiving side of a spool: the one receiver, following the file with inotify (see
/// the [module docs](self): at least once, one message may repeat after a crash).
///
/// [`AsFd`] gives the inotify fd: readable when a sender wrote since the last time a
/// receive found nothing (spurious wake-ups are possible: use [`try_recv`](Self::try_recv)
/// after `poll`).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipckit::file::{SpoolReader, SpoolWriter};
/// let path = std::env::temp_dir().join(format!("ipckit-doc-spoolr-{}", std::process::id()));
/// let mut rx = SpoolReader::builder(&path).open_or_create()?;
/// let e = SpoolReader::builder(&path).open().unwrap_err();
/// assert_eq!(e.kind(), ipckit::ErrorKind::AlreadyExists); // one receiver per spool
/// let mut buf = Vec::new();
/// let e = rx.recv_timeout(&mut buf, Duration::from_millis(10)).unwrap_err();
/// assert_eq!(e.kind(), ipckit::ErrorKind::TimedOut);
/// SpoolWriter::builder(&path).open()?.send(b"one")?;
/// rx.recv(&mut buf)?;
/// assert_eq!(buf, b"one");
/// drop(rx); // saves the position: the next receiver starts after "one"
/// ipckit::file::remove(&path)?;
/// # Ok::<(), ipckit::Error>(())
/// ```
#[derive(Debug)]
pub struct SpoolReader {
    file: File,
    pos_lock: crate::lock::LockGuard<File>,
    watch: Watch,
    path: PathBuf,
    object: String,
    /// Offset of the next frame to deliver.
    pos: u64,
    /// The offset saved in the sidecar.
    saved: u64,
    max_message: usize,
}

impl SpoolReader {
    /// A builder for the spool at `path`.
    pub fn builder(path: impl AsRef<Path>) -> SpoolReaderBuilder {
        SpoolReaderBuilder {
            path: path.as_ref().to_path_buf(),
            max_message: DEFAULT_MAX,
        }
    }

    /// The spool's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The offset of the next frame this receiver will deliver.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Saves the position past every message delivered so far in `PATH.pos` (`pwrite`),
    /// so they are not delivered again; done by every receive and on drop anyway.
    ///
    /// # Errors
    /// From `pwrite(2)`.
    pub fn commit(&mut self) -> Result<()> {
        if self.saved == self.pos {
            return Ok(());
        }
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.pos.to_le_bytes());
        b[8..].copy_from_slice(&(!self.pos).to_le_bytes());
        let path = position_path(&self.path);
        self.pos_lock
            .file()
            .write_all_at(&b, 0)
            .map_err(|e| io_error(e, "pwrite", path.display()))?;
        self.saved = self.pos;
        Ok(())
    }

    /// Waits (in `poll(2)` on the inotify fd, not polling the file) until a whole message
    /// is committed after the last one delivered, replaces `buf`'s contents with it and
    /// returns its length. First saves the position (see [`commit`](Self::commit)).
    ///
    /// # Errors
    /// [`ErrorKind::TooLarge`] for a message above the maximum (skipped: the next call gets
    /// the next); [`ErrorKind::InvalidData`] for a damaged frame (see the
    /// [module docs](self)); [`ErrorKind::NotFound`] once the spool was removed and every
    /// message in it delivered.
    ///
    /// # Examples
    /// See the [module docs](self).
    pub fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.receive(buf, None)
    }

    /// Like [`recv`](Self::recv), with [`ErrorKind::WouldBlock`] at once if no message is
    /// committed yet.
    ///
    /// # Errors
    /// As [`recv`](Self::recv), and `WouldBlock`.
    pub fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.receive(buf, Some(Deadline::after(Duration::ZERO)))
            .map_err(|e| match e.kind() {
                ErrorKind::TimedOut => Error::new(ErrorKind::WouldBlock, "recv", &self.object),
                _ => e,
            })
    }

    /// Like [`recv`](Self::recv), with [`ErrorKind::TimedOut`] after `timeout` (any
    /// `Duration`, up to [`Duration::MAX`]: forever).
    ///
    /// # Errors
    /// As [`recv`](Self::recv), and `TimedOut`.
    ///
    /// # Examples
    /// See [`SpoolReader`].
    pub fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize> {
        self.receive(buf, Some(Deadline::after(timeout)))
    }

    fn receive(&mut self, buf: &mut Vec<u8>, deadline: Option<Deadline>) -> Result<usize> {
        self.commit()?;
        loop {
            if let Some(n) = self.next_frame(buf)? {
                return Ok(n);
            }
            // Nothing committed past us: clear the events, look once more (an append between
            // the look and the drain has had its event drained), then sleep on inotify.
            self.watch.drain().ctx("read(inotify)", &self.object)?;
            if let Some(n) = self.next_frame(buf)? {
                return Ok(n);
            }
            if crate::sys::io::is_unlinked(self.file.as_fd()).ctx("fstat", &self.object)? {
                return Err(Error::new(ErrorKind::NotFound, "recv", &self.object)
                    .with_detail("the spool was removed; every message in it was delivered"));
            }
            let ready = self
                .watch
                .wait(deadline)
                .ctx("poll(inotify)", &self.object)?;
            if !ready {
                return Err(Error::new(ErrorKind::TimedOut, "recv", &self.object));
            }
        }
    }

    /// The frame at `pos` if one is committed; moves `pos` past it (also past a frame that
    /// is refused as too large or damaged).
    fn next_frame(&mut self, buf: &mut Vec<u8>) -> Result<Option<usize>> {
        let end = read_end(&self.file, &self.path)?;
        if self.pos >= end {
            return Ok(None);
        }
        let damaged = |what: String| {
            Error::new(ErrorKind::InvalidData, "recv", &self.object).with_detail(what)
        };
        if end - self.pos < FRAME_HEAD {
            return Err(damaged(format!(
                "a frame header at {} crosses the end {end}",
                self.pos
            )));
        }
        let mut head = [0u8; FRAME_HEAD as usize];
        self.file
            .read_exact_at(&mut head, self.pos)
            .map_err(|e| io_error(e, "pread", &self.object))?;
        let len = u32::from_le_bytes(head[..4].try_into().expect("4 bytes")) as u64;
        let crc = u32::from_le_bytes(head[4..].try_into().expect("4 bytes"));
        let next = self.pos + FRAME_HEAD + len;
        if next > end {
            return Err(damaged(format!(
                "the frame at {} says {len} bytes, past the committed end {end}: the spool \
                 is damaged and cannot be resynchronised",
                self.pos
            )));
        }
        let at = self.pos;
        if len > self.max_message as u64 {
            self.pos = next;
            return Err(
                Error::new(ErrorKind::TooLarge, "recv", &self.object).with_detail(format!(
                "message of {len} bytes at offset {at} exceeds the maximum of {} bytes (skipped)",
                self.max_message
            )),
            );
        }
        buf.clear();
        buf.resize(len as usize, 0);
        self.file
            .read_exact_at(buf, at + FRAME_HEAD)
            .map_err(|e| io_error(e, "pread", &self.object))?;
        self.pos = next;
        if crc::crc32(buf) != crc {
            buf.clear();
            return Err(damaged(format!(
                "the frame at offset {at} ({len} bytes) fails its CRC-32 (skipped)"
            )));
        }
        Ok(Some(len as usize))
    }
}

impl AsFd for SpoolReader {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.watch.as_fd()
    }
}

/// Saves the position (see [`SpoolReader::commit`]).
impl Drop for SpoolReader {
    fn drop(&mut self) {
        let _ = self.commit();
    }
}
