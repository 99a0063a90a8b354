//! FIFOs, or named pipes (`mkfifo`): a one-way byte stream opened by path.
//!
//! A FIFO is a pipe with a name in the file system: any process that may open the path can
//! read or write it, and the bytes never touch the disk. [`Fifo`] names one and owns it (the
//! process that created it unlinks it on drop unless [`Named::persist`] was called);
//! [`FifoReader`] and [`FifoWriter`] are the open ends, implementing [`Read`] and [`Write`].
//!
//! # How opening behaves (`fifo(7)`)
//!
//! | open | another process has the other end open | nobody has it open |
//! |---|---|---|
//! | [`Fifo::open_reader`] (blocking) | returns | **waits** until a writer opens it |
//! | [`Fifo::open_writer`] (blocking) | returns | **waits** until a reader opens it |
//! | [`Fifo::open_reader_nonblocking`] | returns | returns at once |
//! | [`Fifo::open_writer_nonblocking`] | returns | fails: [`ErrorKind::PeerGone`] (`ENXIO`) |
//!
//! Once open: a read returns what is there (at most the buffer's length), and `0` (end of
//! stream) only when every writer has closed; a write whose readers all closed fails with
//! [`ErrorKind::PeerGone`] (`EPIPE`). Writes of at most `PIPE_BUF` (4096 bytes on Linux) are
//! atomic: several writers never interleave inside them.
//!
//! # Examples
//!
//! ```
//! use std::io::{Read, Write};
//! use ipckit::fifo::Fifo;
//!
//! let path = std::env::temp_dir().join(format!("ipckit-doc-fifo-{}", std::process::id()));
//! let fifo = Fifo::create_new(&path)?;           // mkfifo, mode 0o600; unlinked on drop
//! let mut reader = fifo.open_reader_nonblocking()?; // does not wait for a writer
//! let mut writer = fifo.open_writer()?;          // a reader exists: returns at once
//! writer.write_all(b"hello")?;
//! let mut buf = [0u8; 5];
//! reader.read_exact(&mut buf)?;
//! assert_eq!(&buf, b"hello");
//! drop(fifo);
//! assert!(!path.exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # References
//! - <https://man7.org/linux/man-pages/man7/fifo.7.html>
//! - <https://man7.org/linux/man-pages/man3/mkfifo.3.html>
//! - <https://man7.org/linux/man-pages/man7/pipe.7.html>

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::creation::Creation;
use crate::error::Context;
use crate::fd::StreamEnd;
use crate::named::{Named, Sealed};
use crate::sys::fd::{self as sysfd, Access, FileType};
use crate::{Errno, Error, ErrorKind, Result};

#[cfg(doc)]
use std::io::{Read, Write};

/// The permission bits FIFOs are created with unless [`FifoBuilder::mode`] says otherwise.
pub const DEFAULT_MODE: u32 = 0o600;

/// Creates a FIFO at `path` with permission bits `mode` (`mkfifo(3)`).
///
/// `mode` is the usual `0o777`-style permission set, reduced by the process umask. The FIFO
/// is not removed automatically; use [`Fifo::create_new`] for a FIFO that is.
///
/// # Errors
/// [`ErrorKind::AlreadyExists`] if `path` exists (whatever it is),
/// [`ErrorKind::NotFound`] if a directory on the way does not exist,
/// [`ErrorKind::PermissionDenied`] if the directory is not writable,
/// [`ErrorKind::InvalidInput`] if `mode` has bits outside `0o7777` or the name is too long.
///
/// # Examples
/// ```
/// let path = std::env::temp_dir().join(format!("ipckit-doc-mkfifo-{}", std::process::id()));
/// ipckit::fifo::mkfifo(&path, 0o600)?;
/// assert_eq!(ipckit::fifo::mkfifo(&path, 0o600).unwrap_err().kind(),
///            ipckit::ErrorKind::AlreadyExists);
/// std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/mkfifo.3.html>
pub fn mkfifo(path: impl AsRef<Path>, mode: u32) -> Result<()> {
    let path = path.as_ref();
    check_mode(mode, path)?;
    sysfd::mkfifo(path, mode).ctx("mkfifo", path.display())
}

fn check_mode(mode: u32, path: &Path) -> Result<()> {
    if mode & !0o7777 != 0 {
        return Err(
            Error::new(ErrorKind::InvalidInput, "mkfifo", path.display()).with_detail(format!(
                "mode {mode:#o} has bits outside 0o7777 (permission bits only)"
            )),
        );
    }
    Ok(())
}

/// Creates or opens a [`Fifo`] at a path: made by [`Fifo::builder`], which holds the path;
/// [`mode`](FifoBuilder::mode) sets the permission bits, then one of the creation modes
/// [`create_new`](FifoBuilder::create_new), [`open`](FifoBuilder::open) or
/// [`open_or_create`](FifoBuilder::open_or_create) ends it.
///
/// # Examples
/// ```
/// use ipckit::{fifo::Fifo, Named};
/// let path = std::env::temp_dir().join(format!("ipckit-doc-builder-{}", std::process::id()));
/// let fifo = Fifo::builder(&path).mode(0o620).open_or_create()?;
/// assert!(fifo.is_owner());
/// let again = Fifo::builder(&path).open()?;  // exists: not the owner, never unlinks
/// assert!(!again.is_owner());
/// # Ok::<(), ipckit::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FifoBuilder {
    path: PathBuf,
    mode: u32,
}

impl FifoBuilder {
    /// The permission bits (`0o600` style, at most `0o7777`, reduced by the umask) a new FIFO
    /// gets; [`DEFAULT_MODE`] (`0o600`) unless set. Ignored when the FIFO already exists.
    #[must_use]
    pub fn mode(mut self, mode: u32) -> FifoBuilder {
        self.mode = mode;
        self
    }

    /// Creates the FIFO at the path (`mkfifo`); fails if anything exists there. The returned
    /// [`Fifo`] owns it: dropping it unlinks the path (unless [persisted](Named::persist)).
    ///
    /// # Errors
    /// As [`mkfifo`]: [`ErrorKind::AlreadyExists`] if the path exists.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mkfifo.3.html>
    #[doc(alias = "mkfifo")]
    pub fn create_new(self) -> Result<Fifo> {
        self.create_at()?;
        Ok(Fifo {
            path: self.path,
            owner: true,
        })
    }

    /// Names an existing FIFO at the path (`stat`); creates nothing, so the [`Fifo`] never
    /// unlinks it.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if nothing exists at the path; [`ErrorKind::InvalidInput`] if
    /// it exists but is not a FIFO (the detail says what it is).
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/stat.2.html>
    pub fn open(self) -> Result<Fifo> {
        check_is_fifo(&self.path, "stat")?;
        Ok(Fifo {
            path: self.path,
            owner: false,
        })
    }

    /// Creates the FIFO at the path if nothing is there, else names the existing FIFO. The
    /// [`Fifo`] owns (unlinks on drop) only a FIFO this call created: see
    /// [`Named::is_owner`].
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if the path exists but is not a FIFO; others as
    /// [`mkfifo`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mkfifo.3.html>
    pub fn open_or_create(self) -> Result<Fifo> {
        let ((), created) = crate::creation::open_with(Creation::OpenOrCreate, |excl| {
            if excl {
                self.create_at()
            } else {
                check_is_fifo(&self.path, "stat")
            }
        })?;
        Ok(Fifo {
            path: self.path,
            owner: created,
        })
    }

    fn create_at(&self) -> Result<()> {
        mkfifo(&self.path, self.mode)
    }
}

fn describe_file_type(t: FileType) -> &'static str {
    match t {
        FileType::Regular => "a regular file",
        FileType::Directory => "a directory",
        FileType::Socket => "a socket",
        FileType::CharDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Symlink => "a symbolic link",
        FileType::Fifo | FileType::Other => "not a FIFO",
    }
}

fn not_a_fifo(op: &'static str, path: &Path, t: FileType) -> Error {
    Error::new(ErrorKind::InvalidInput, op, path.display()).with_detail(format!(
        "not a FIFO: the path is {} (create one with mkfifo)",
        describe_file_type(t)
    ))
}

fn check_is_fifo(path: &Path, op: &'static str) -> Result<()> {
    let t = sysfd::path_type(path).ctx(op, path.display())?;
    if t != FileType::Fifo {
        return Err(not_a_fifo(op, path, t));
    }
    Ok(())
}

/// A FIFO in the file system, by path. Opening it gives a [`FifoReader`] or [`FifoWriter`];
/// the `Fifo` itself holds no fd.
///
/// A `Fifo` that created its path ([`Named::is_owner`]) unlinks it when dropped, unless
/// [`Named::persist`] was called. Ends already open keep working after the unlink. Its
/// [`Named::name`] is the path.
///
/// # Examples
/// ```
/// use ipckit::{fifo::Fifo, Named};
/// let path = std::env::temp_dir().join(format!("ipckit-doc-persist-{}", std::process::id()));
/// let mut fifo = Fifo::create_new(&path)?;
/// fifo.persist();                 // keep it for another program
/// drop(fifo);
/// assert!(path.exists());
/// Fifo::open(&path)?.remove()?;   // unlink explicitly
/// assert!(!path.exists());
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man7/fifo.7.html>
#[derive(Debug)]
pub struct Fifo {
    path: PathBuf,
    owner: bool,
}

impl Fifo {
    /// A [`FifoBuilder`] for the FIFO at `path`, with mode [`DEFAULT_MODE`] (`0o600`): end
    /// it with [`create_new`](FifoBuilder::create_new), [`open`](FifoBuilder::open) or
    /// [`open_or_create`](FifoBuilder::open_or_create).
    pub fn builder(path: impl AsRef<Path>) -> FifoBuilder {
        FifoBuilder {
            path: path.as_ref().to_path_buf(),
            mode: DEFAULT_MODE,
        }
    }

    /// Creates a new FIFO with mode `0o600`, owned by the result; see
    /// [`FifoBuilder::create_new`].
    ///
    /// # Errors
    /// [`ErrorKind::AlreadyExists`] if `path` exists; others as [`mkfifo`].
    #[doc(alias = "mkfifo")]
    pub fn create_new(path: impl AsRef<Path>) -> Result<Fifo> {
        Fifo::builder(path).create_new()
    }

    /// Names an existing FIFO; see [`FifoBuilder::open`].
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`], or [`ErrorKind::InvalidInput`] if `path` is not a FIFO.
    pub fn open(path: impl AsRef<Path>) -> Result<Fifo> {
        Fifo::builder(path).open()
    }

    /// Creates the FIFO (mode `0o600`) unless it exists; see [`FifoBuilder::open_or_create`].
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if `path` exists but is not a FIFO; others as [`mkfifo`].
    pub fn open_or_create(path: impl AsRef<Path>) -> Result<Fifo> {
        Fifo::builder(path).open_or_create()
    }

    /// The FIFO's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the read end, waiting until some process opens the FIFO for writing
    /// (`open(O_RDONLY)`). The reader is in blocking mode.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if the path is gone; [`ErrorKind::InvalidInput`] if it is no
    /// longer a FIFO; [`ErrorKind::PermissionDenied`] without read permission.
    ///
    /// # Examples
    /// ```
    /// use std::io::{Read, Write};
    /// use ipckit::fifo::Fifo;
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-or-{}", std::process::id()));
    /// let fifo = Fifo::create_new(&path)?;
    /// // Another process (here a thread, to keep the example short) writes.
    /// let writer = std::thread::spawn({
    ///     let path = path.clone();
    ///     move || ipckit::fifo::FifoWriter::open(&path)?.write_all(b"hi")
    /// });
    /// let mut reader = fifo.open_reader()?; // returns once the writer has opened
    /// let mut got = String::new();
    /// reader.read_to_string(&mut got)?;    // until the writer closes
    /// assert_eq!(got, "hi");
    /// writer.join().unwrap()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man7/fifo.7.html>
    pub fn open_reader(&self) -> Result<FifoReader> {
        FifoReader::open(&self.path)
    }

    /// Opens the read end without waiting for a writer (`open(O_RDONLY | O_NONBLOCK)`). The
    /// reader stays non-blocking: a read with no data returns
    /// [`std::io::ErrorKind::WouldBlock`] while a writer has the FIFO open, and `Ok(0)`
    /// (end of stream) while none has. [`FifoReader::set_nonblocking`] turns that off.
    ///
    /// # Errors
    /// As [`Fifo::open_reader`].
    ///
    /// # Examples
    /// ```
    /// use std::io::Read;
    /// use ipckit::fifo::Fifo;
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-orn-{}", std::process::id()));
    /// let fifo = Fifo::create_new(&path)?;
    /// let mut reader = fifo.open_reader_nonblocking()?; // no writer: returns at once
    /// assert_eq!(reader.read(&mut [0u8; 8])?, 0);         // and reads end of stream
    /// let _writer = fifo.open_writer()?;
    /// let e = reader.read(&mut [0u8; 8]).unwrap_err();    // a writer, no data yet
    /// assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/open.2.html> (`O_NONBLOCK`)
    pub fn open_reader_nonblocking(&self) -> Result<FifoReader> {
        FifoReader::open_nonblocking(&self.path)
    }

    /// Opens the write end, waiting until some process opens the FIFO for reading
    /// (`open(O_WRONLY)`). The writer is in blocking mode.
    ///
    /// # Errors
    /// As [`Fifo::open_reader`], with write permission.
    ///
    /// # Examples
    /// See [`Fifo::open_reader`]; the same with the roles swapped.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man7/fifo.7.html>
    pub fn open_writer(&self) -> Result<FifoWriter> {
        FifoWriter::open(&self.path)
    }

    /// Opens the write end without waiting (`open(O_WRONLY | O_NONBLOCK)`); the writer stays
    /// non-blocking (a write to a full FIFO returns [`std::io::ErrorKind::WouldBlock`]).
    ///
    /// # Errors
    /// [`ErrorKind::PeerGone`] (errno `ENXIO`, detail "no process has the FIFO open for
    /// reading") if no reader has it open; others as [`Fifo::open_writer`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::{fifo::Fifo, Errno, ErrorKind};
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-own-{}", std::process::id()));
    /// let fifo = Fifo::create_new(&path)?;
    /// let e = fifo.open_writer_nonblocking().unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::PeerGone);
    /// assert_eq!(e.errno(), Some(Errno::ENXIO));
    /// let _reader = fifo.open_reader_nonblocking()?;
    /// fifo.open_writer_nonblocking()?; // a reader now: fine
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/open.2.html> (`ENXIO`)
    pub fn open_writer_nonblocking(&self) -> Result<FifoWriter> {
        FifoWriter::open_nonblocking(&self.path)
    }
}

impl Sealed for Fifo {}

impl Named for Fifo {
    /// The path.
    fn name(&self) -> Cow<'_, str> {
        self.path.to_string_lossy()
    }

    fn is_owner(&self) -> bool {
        self.owner
    }

    fn persist(&mut self) {
        self.owner = false;
    }

    /// Unlinks the path now (`unlink(2)`), whether or not this `Fifo` created it, and
    /// reports the result that drop would swallow.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if the path is already gone; [`ErrorKind::PermissionDenied`]
    /// if the directory is not writable.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/unlink.2.html>
    #[doc(alias = "unlink")]
    fn remove(mut self) -> Result<()> {
        self.owner = false;
        sysfd::unlink(&self.path).ctx("unlink", self.path.display())
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        if self.owner {
            let _ = sysfd::unlink(&self.path);
        }
    }
}

const NO_READER: &str = "no process has the FIFO open for reading";

/// Opens `path` for `access` and checks that it is a FIFO, before (so that opening a socket
/// or device has no side effect) and after (the fd itself, race-free).
fn open_end(path: &Path, access: Access, nonblocking: bool) -> Result<StreamEnd> {
    check_is_fifo(path, "open")?;
    let fd = sysfd::open(path, access, nonblocking).map_err(|e| {
        let err = Error::from_errno(e, "open", path.display());
        if e == Errno::ENXIO {
            err.with_kind(ErrorKind::PeerGone).with_detail(NO_READER)
        } else {
            err
        }
    })?;
    let t = sysfd::fd_type(&fd).ctx("fstat", path.display())?;
    if t != FileType::Fifo {
        return Err(not_a_fifo("open", path, t));
    }
    Ok(StreamEnd::new(fd, "FIFO", access))
}

/// The read end of a FIFO: [`Read`] (also on `&FifoReader`) gives the bytes in order,
/// `Ok(0)` once every writer has closed. Closed on drop. Open it by path without a [`Fifo`]
/// for a FIFO someone else made. A failed read is an [`std::io::Error`] with the [`Error`]
/// inside that names the operation and the end.
///
/// # Examples
/// See [`Fifo::open_reader`] and [`Fifo::open_reader_nonblocking`].
///
/// # References
/// <https://man7.org/linux/man-pages/man2/read.2.html>
#[derive(Debug)]
pub struct FifoReader(StreamEnd);

stream_end_traits!(FifoReader, read);
stream_end_methods!(
    FifoReader,
    "{ let p = std::env::temp_dir().join(format!(\"ipckit-doc-fifo-reader-{}\", \
     std::process::id())); let f = ipckit::fifo::Fifo::create_new(&p)?; \
     let r = f.open_reader_nonblocking()?; (r, f.open_writer()?) }"
);

impl FifoReader {
    /// Opens `path` for reading, waiting for a writer; see [`Fifo::open_reader`].
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`]; [`ErrorKind::InvalidInput`] if `path` is not a FIFO;
    /// [`ErrorKind::PermissionDenied`].
    pub fn open(path: impl AsRef<Path>) -> Result<FifoReader> {
        open_end(path.as_ref(), Access::Read, false).map(FifoReader)
    }

    /// Opens `path` for reading without waiting; see [`Fifo::open_reader_nonblocking`].
    ///
    /// # Errors
    /// As [`FifoReader::open`].
    pub fn open_nonblocking(path: impl AsRef<Path>) -> Result<FifoReader> {
        open_end(path.as_ref(), Access::Read, true).map(FifoReader)
    }
}

/// The write end of a FIFO: [`Write`] (also on `&FifoWriter`) appends bytes. A write whose
/// readers all closed fails with [`std::io::ErrorKind::BrokenPipe`] (ipckit's
/// [`ErrorKind::PeerGone`], `EPIPE`, inside); Rust programs ignore `SIGPIPE`, so that error
/// is returned rather than the process killed. Closed on drop, which readers see as end of
/// stream once every writer closed.
///
/// # Examples
/// ```
/// use std::io::Write;
/// use ipckit::fifo::Fifo;
/// let path = std::env::temp_dir().join(format!("ipckit-doc-fw-{}", std::process::id()));
/// let fifo = Fifo::create_new(&path)?;
/// let reader = fifo.open_reader_nonblocking()?;
/// let mut writer = fifo.open_writer()?;
/// writer.write_all(b"x")?;
/// drop(reader);                                  // the only reader is gone
/// let e = writer.write_all(b"y").unwrap_err();   // EPIPE, not a SIGPIPE death
/// assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/write.2.html>
#[derive(Debug)]
pub struct FifoWriter(StreamEnd);

stream_end_traits!(FifoWriter, write);
stream_end_methods!(
    FifoWriter,
    "{ let p = std::env::temp_dir().join(format!(\"ipckit-doc-fifo-writer-{}\", \
     std::process::id())); let f = ipckit::fifo::Fifo::create_new(&p)?; \
     let r = f.open_reader_nonblocking()?; (r, f.open_writer()?) }"
);

impl FifoWriter {
    /// Opens `path` for writing, waiting for a reader; see [`Fifo::open_writer`].
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`]; [`ErrorKind::InvalidInput`] if `path` is not a FIFO;
    /// [`ErrorKind::PermissionDenied`].
    pub fn open(path: impl AsRef<Path>) -> Result<FifoWriter> {
        open_end(path.as_ref(), Access::Write, false).map(FifoWriter)
    }

    /// Opens `path` for writing without waiting; see [`Fifo::open_writer_nonblocking`].
    ///
    /// # Errors
    /// [`ErrorKind::PeerGone`] (`ENXIO`) if no process has the FIFO open for reading; others
    /// as [`FifoWriter::open`].
    pub fn open_nonblocking(path: impl AsRef<Path>) -> Result<FifoWriter> {
        open_end(path.as_ref(), Access::Write, true).map(FifoWriter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(tag: &str) -> PathBuf {
        std::env::temp_dir().join(format!("ipckit-unit-fifo-{}-{tag}", std::process::id()))
    }

    #[test]
    fn mode_outside_permission_bits_is_invalid() {
        let p = path("badmode");
        let e = mkfifo(&p, 0o10_000).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(!p.exists());
    }

    #[test]
    fn creation_modes() {
        let p = path("modes");
        assert_eq!(Fifo::open(&p).unwrap_err().kind(), ErrorKind::NotFound);
        let mut f = Fifo::create_new(&p).unwrap();
        assert!(f.is_owner());
        assert_eq!(
            Fifo::create_new(&p).unwrap_err().kind(),
            ErrorKind::AlreadyExists
        );
        let g = Fifo::open_or_create(&p).unwrap();
        assert!(!g.is_owner());
        drop(g);
        assert!(p.exists(), "a non-owner must not unlink");
        f.persist();
        drop(f);
        assert!(p.exists(), "a persisted FIFO stays");
        Fifo::open(&p).unwrap().remove().unwrap();
        assert!(!p.exists());
    }
}
