//! `file`, raw: the same spool format as `ipckit::file` written against libc: `open`,
//! `fcntl(F_OFD_SETLKW)`, `pread`/`pwrite` of the header and the frame, `F_UNLCK`; the
//! receiver `inotify_init1`/`inotify_add_watch`, `poll`, `read` of the events, `pread`,
//! a CRC-32 check and a `pwrite` of its position. Page cache only, as the ipckit row.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use anyhow::{bail, Context as _};

use crate::common::arg;
use crate::scenario::{Case, Endpoint, Scenario, Setup};

const MAGIC: &[u8; 8] = b"IPCKSPL1";
const HEADER: u64 = 24;

/// The raw twin of [`crate::mech::file::Ipckit`].
pub struct Raw;

/// An fd closed on drop.
struct Fd(libc::c_int);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: the fd is owned here and closed once.
        unsafe { libc::close(self.0) };
    }
}

fn last(what: &str) -> anyhow::Error {
    anyhow::Error::new(std::io::Error::last_os_error()).context(what.to_string())
}

fn open(path: &Path, flags: libc::c_int) -> anyhow::Result<Fd> {
    let c = CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: `c` is a NUL-terminated path; open has no other preconditions.
    let fd = unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC, 0o600) };
    if fd < 0 {
        return Err(last("open")).with_context(|| path.display().to_string());
    }
    Ok(Fd(fd))
}

fn pwrite_all(fd: &Fd, buf: &[u8], at: u64) -> anyhow::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: the pointer and length describe the rest of `buf`.
        let n = unsafe {
            libc::pwrite(
                fd.0,
                buf[done..].as_ptr().cast(),
                buf.len() - done,
                (at + done as u64) as libc::off_t,
            )
        };
        if n < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(last("pwrite"));
        }
        done += n as usize;
    }
    Ok(())
}

fn pread_exact(fd: &Fd, buf: &mut [u8], at: u64) -> anyhow::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: the pointer and length describe the rest of `buf`, writable.
        let n = unsafe {
            libc::pread(
                fd.0,
                buf[done..].as_mut_ptr().cast(),
                buf.len() - done,
                (at + done as u64) as libc::off_t,
            )
        };
        if n < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(last("pread"));
        }
        if n == 0 {
            bail!("pread: end of file inside a frame");
        }
        done += n as usize;
    }
    Ok(())
}

/// `F_OFD_SETLKW` with `l_type` over the whole file.
fn ofd_lock(fd: &Fd, l_type: libc::c_int) -> anyhow::Result<()> {
    // SAFETY: flock is plain integers; zero is valid (l_pid must be 0 for OFD locks).
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = l_type as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    loop {
        // SAFETY: F_OFD_SETLKW takes a pointer to a valid flock.
        if unsafe { libc::fcntl(fd.0, libc::F_OFD_SETLKW, &mut fl) } == 0 {
            return Ok(());
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return Err(last("fcntl(F_OFD_SETLKW)"));
        }
    }
}

fn write_end(fd: &Fd, end: u64) -> anyhow::Result<()> {
    let mut h = [0u8; HEADER as usize];
    h[..8].copy_from_slice(MAGIC);
    h[8..16].copy_from_slice(&end.to_le_bytes());
    h[16..].copy_from_slice(&(!end).to_le_bytes());
    pwrite_all(fd, &h, 0)
}

fn read_end(fd: &Fd) -> anyhow::Result<u64> {
    loop {
        let mut h = [0u8; HEADER as usize];
        pread_exact(fd, &mut h, 0)?;
        let end = u64::from_le_bytes(h[8..16].try_into()?);
        if &h[..8] == MAGIC && end == !u64::from_le_bytes(h[16..].try_into()?) {
            return Ok(end);
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    !data.iter().fold(!0u32, |c, &b| {
        t[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8)
    })
}

/// Creates a spool (header only).
fn create(path: &Path) -> anyhow::Result<()> {
    let fd = open(path, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL)?;
    write_end(&fd, HEADER)
}

struct RawSpool {
    tx: Fd,
    frame: Vec<u8>,
    rx: Fd,
    pos_fd: Fd,
    ino: Fd,
    pos: u64,
}

impl RawSpool {
    fn open(to: &Path, from: &Path) -> anyhow::Result<RawSpool> {
        let tx = open(to, libc::O_RDWR)?;
        let rx = open(from, libc::O_RDWR)?;
        let mut pos_path = from.as_os_str().to_owned();
        pos_path.push(".pos");
        let pos_fd = open(Path::new(&pos_path), libc::O_RDWR | libc::O_CREAT)?;
        // SAFETY: inotify_init1 takes flags only.
        let ino = unsafe { libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK) };
        if ino < 0 {
            return Err(last("inotify_init1"));
        }
        let ino = Fd(ino);
        let c = CString::new(from.as_os_str().as_bytes())?;
        // SAFETY: a valid inotify fd and a NUL-terminated path.
        if unsafe { libc::inotify_add_watch(ino.0, c.as_ptr(), libc::IN_MODIFY) } < 0 {
            return Err(last("inotify_add_watch"));
        }
        Ok(RawSpool {
            tx,
            frame: Vec::new(),
            rx,
            pos_fd,
            ino,
            pos: HEADER,
        })
    }

    fn drain(&self) {
        let mut ev = [0u8; 4096];
        // SAFETY: reads into a stack buffer of its own length; non-blocking fd.
        while unsafe { libc::read(self.ino.0, ev.as_mut_ptr().cast(), ev.len()) } > 0 {}
    }

    fn wait(&self) -> anyhow::Result<()> {
        let mut p = libc::pollfd {
            fd: self.ino.0,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut p, 1, -1) } < 0
            && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR)
        {
            return Err(last("poll"));
        }
        Ok(())
    }
}

impl Endpoint for RawSpool {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        self.frame.clear();
        self.frame
            .extend_from_slice(&(msg.len() as u32).to_le_bytes());
        self.frame.extend_from_slice(&crc32(msg).to_le_bytes());
        self.frame.extend_from_slice(msg);
        ofd_lock(&self.tx, libc::F_WRLCK)?;
        let r = read_end(&self.tx).and_then(|end| {
            pwrite_all(&self.tx, &self.frame, end)?;
            write_end(&self.tx, end + self.frame.len() as u64)
        });
        ofd_lock(&self.tx, libc::F_UNLCK)?;
        r
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        // The position of the message delivered last, saved as the ipckit receiver does.
        let mut p = [0u8; 16];
        p[..8].copy_from_slice(&self.pos.to_le_bytes());
        p[8..].copy_from_slice(&(!self.pos).to_le_bytes());
        pwrite_all(&self.pos_fd, &p, 0)?;
        loop {
            if read_end(&self.rx)? > self.pos {
                break;
            }
            self.drain();
            if read_end(&self.rx)? > self.pos {
                break;
            }
            self.wait()?;
        }
        let mut head = [0u8; 8];
        pread_exact(&self.rx, &mut head, self.pos)?;
        let len = u32::from_le_bytes(head[..4].try_into()?) as usize;
        buf.resize(len, 0);
        pread_exact(&self.rx, buf, self.pos + 8)?;
        if crc32(buf) != u32::from_le_bytes(head[4..].try_into()?) {
            bail!("frame at {} fails its CRC-32", self.pos);
        }
        self.pos += 8 + len as u64;
        Ok(())
    }
}

impl Scenario for Raw {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let to_peer = case.path("raw-spool-to-peer");
        let from_peer = case.path("raw-spool-from-peer");
        create(&to_peer)?;
        create(&from_peer)?;
        let spool = RawSpool::open(&to_peer, &from_peer)?;
        let args = vec![
            to_peer.display().to_string(),
            from_peer.display().to_string(),
        ];
        Ok(Setup::new(args, move || Ok(Box::new(spool) as _)))
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let to_peer = Path::new(arg(args, 0, "spool to the peer")?);
        let from_peer = Path::new(arg(args, 1, "spool from the peer")?);
        Ok(Box::new(RawSpool::open(from_peer, to_peer)?))
    }
}
