//! The handshake over a Unix seqpacket socket: [`connect`], [`listen`], [`Listener`],
//! [`Connection`].

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use super::receiver::Receiver;
use super::sender::Sender;
use super::shm::{self, Ring, MAX_CAPACITY, VERSION};
use super::sys;
use super::wait::{Link, WaitConfig, DEFAULT_CHECK_INTERVAL, DEFAULT_SPIN};
use crate::net::unix::{PeerCred, SocketAddr, UnixSeqpacket, UnixSeqpacketListener};
use crate::{Error, ErrorKind, Result};

/// The default capacity of each direction: 1 MiB.
pub const DEFAULT_CAPACITY: usize = 1 << 20;
/// How long a handshake may take on either side before it fails with `TimedOut`.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// The connector's hello: magic and layout version ([`VERSION`]), then [`OPT_MEMBARRIER`] or
/// 0, then padding to 16 bytes; sent with two fds: the connector's sending memfd, then its
/// receiving memfd. (Version 2 also passed four eventfd doorbells; version 3 rings over
/// this socket, see `ring::park`.)
///
/// The handshake and the doorbell share the socket without confusion: each side reads the
/// handshake's records (the hello; the listener's one- or two-byte verdict) before it has
/// a ring end that could park, the peer can ring only a parked end (and a hostile one that
/// rings early sends a record the handshake refuses as a bad hello or reply), and seqpacket
/// keeps records in order, so the first record each side reads is the handshake's; after
/// it, only the doorbell's drain reads this socket.
const MAGIC: &[u8; 8] = b"IPCKRING";
const HELLO_LEN: usize = 16;
/// The hello's version byte (after the magic) and option byte.
const HELLO_VERSION: usize = 8;
const HELLO_OPTS: usize = 9;
/// The fds a hello carries.
const HELLO_FDS: usize = 2;
/// The fds a version-2 hello carried (two memfds, four eventfds): we take that many, so
/// that such a hello is refused naming its version, not as "too many fds".
const HELLO_FDS_MAX: usize = 6;
/// In the hello and the reply: this process registered for `membarrier(GLOBAL_EXPEDITED)`.
const OPT_MEMBARRIER: u8 = 1;
const ACCEPTED: u8 = 0;
const REFUSED_UID: u8 = 1;
const REFUSED_RING: u8 = 2;

fn wait_opts(spin: Duration, check: Duration) -> WaitConfig {
    WaitConfig {
        spin,
        check_interval: check.max(Duration::from_millis(1)),
        asymmetric: false,
    }
}

/// Our option byte: whether this process is registered for `membarrier`.
fn our_options() -> u8 {
    if sys::membarrier_register() {
        OPT_MEMBARRIER
    } else {
        0
    }
}

/// A ring connection: a [`Sender`] for our direction and a [`Receiver`] for the peer's,
/// over one socket that stays open to tell when the peer is gone.
#[derive(Debug)]
pub struct Connection {
    sender: Sender,
    receiver: Receiver,
}

impl Connection {
    /// A builder to connect to the ring listener at `addr` with a chosen capacity or spin
    /// window; [`connect`] uses the defaults.
    pub fn builder(addr: &SocketAddr) -> ConnectBuilder {
        ConnectBuilder {
            addr: addr.clone(),
            capacity: DEFAULT_CAPACITY,
            spin: DEFAULT_SPIN,
            check_interval: DEFAULT_CHECK_INTERVAL,
            membarrier: true,
        }
    }

    /// The sending half.
    pub fn sender(&mut self) -> &mut Sender {
        &mut self.sender
    }

    /// The receiving half.
    pub fn receiver(&mut self) -> &mut Receiver {
        &mut self.receiver
    }

    /// The receiving half, shared (for a `channel::Select`'s fds).
    pub(crate) fn receiver_ref(&self) -> &Receiver {
        &self.receiver
    }

    /// The two halves, to use from two threads.
    pub fn split(self) -> (Sender, Receiver) {
        (self.sender, self.receiver)
    }

    /// The peer's credentials (`SO_PEERCRED`) as seen at the handshake.
    pub fn peer_cred(&self) -> PeerCred {
        self.sender.peer_cred()
    }
}

/// Options for [`Connection::builder`]: the capacity of both rings and how to wait.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until connect()"]
pub struct ConnectBuilder {
    addr: SocketAddr,
    capacity: usize,
    spin: Duration,
    check_interval: Duration,
    membarrier: bool,
}

impl ConnectBuilder {
    /// Uses a full fence on every publish instead of `membarrier` before every sleep, as
    /// where the kernel lacks `membarrier` (for tests of that path).
    #[doc(hidden)]
    pub fn symmetric_fences(mut self) -> ConnectBuilder {
        self.membarrier = false;
        self
    }

    /// The capacity of each direction's ring in bytes: a power of two from 4 KiB to 1 GiB
    /// (default 1 MiB). The largest message is half of it.
    pub fn capacity(mut self, bytes: usize) -> ConnectBuilder {
        self.capacity = bytes;
        self
    }

    /// How long a blocked call polls before it sleeps on a futex (default
    /// [`DEFAULT_SPIN`](super::DEFAULT_SPIN), 50 µs), plus 0.5 ns per byte of the message at
    /// hand, at most 1 ms more (see the [module docs](super)). Zero sleeps at once.
    pub fn spin(mut self, window: Duration) -> ConnectBuilder {
        self.spin = window;
        self
    }

    /// How often a sleeping call wakes to check that the peer's socket is still connected
    /// (default [`DEFAULT_CHECK_INTERVAL`](super::DEFAULT_CHECK_INTERVAL), 20 ms; at least
    /// 1 ms). A dead peer is noticed within this interval.
    pub fn check_interval(mut self, interval: Duration) -> ConnectBuilder {
        self.check_interval = interval;
        self
    }

    /// Creates and seals the two rings (`memfd_create`, `F_ADD_SEALS`), connects to the
    /// listener and passes them with `SCM_RIGHTS`, then waits for its verdict.
    ///
    /// # Errors
    /// - [`ErrorKind::InvalidInput`] for a capacity that is not a power of two in range.
    /// - [`ErrorKind::NotFound`] / [`ErrorKind::PeerGone`] if nobody listens at the address.
    /// - [`ErrorKind::PermissionDenied`] if the listener refuses our uid.
    /// - [`ErrorKind::InvalidData`] if the listener refused the rings (a larger capacity
    ///   than it allows) or answered something else.
    /// - [`ErrorKind::TimedOut`] if it did not answer within [`HANDSHAKE_TIMEOUT`].
    pub fn connect(self) -> Result<Connection> {
        shm::check_capacity(self.capacity)?;
        let (ours, our_fd) = Ring::create(self.capacity)?;
        let (theirs, their_fd) = Ring::create(self.capacity)?;
        let name = format!("shm-ring {}", self.addr);
        // Before connecting: the first registration for `membarrier` in a process with
        // several threads waits for an RCU grace period (milliseconds, far longer on a
        // loaded machine), and the listener gives the hello only HANDSHAKE_TIMEOUT from our
        // connect before it closes (our hello then fails with EPIPE).
        let ours_opt = if self.membarrier { our_options() } else { 0 };
        let sock = UnixSeqpacket::connect(&self.addr)?;
        // A listener that refuses our uid may answer and close before the hello is sent:
        // its answer is still queued for us, so read it before reporting a failed send.
        let mut hello = [0u8; HELLO_LEN];
        hello[..MAGIC.len()].copy_from_slice(MAGIC);
        hello[HELLO_VERSION] = VERSION as u8;
        hello[HELLO_OPTS] = ours_opt;
        let sent = sock.send_fds(&hello, &[our_fd.as_fd(), their_fd.as_fd()]);
        drop((our_fd, their_fd));
        sock.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
        let mut reply = [0u8; 8];
        // A listener that closes with our hello unread leaves ECONNRESET pending ahead of
        // its answer: the kernel reports the error first, then the queued answer.
        let got = match sock.recv(&mut reply) {
            Err(e) if e.kind() == ErrorKind::PeerGone => sock.recv(&mut reply).map_err(|_| e),
            other => other,
        };
        let got = got.map_err(|e| match e.kind() {
            ErrorKind::WouldBlock => Error::new(ErrorKind::TimedOut, "ring handshake", &name),
            _ => e,
        });
        let n = match (sent, got) {
            (_, Ok(n)) if n >= 1 && reply[0] == REFUSED_UID => 1,
            (Err(e), _) => return Err(e),
            (Ok(_), got) => got?,
        };
        match (n, reply[0]) {
            (2, ACCEPTED) => {}
            (1, REFUSED_UID) => {
                return Err(
                    Error::new(ErrorKind::PermissionDenied, "ring handshake", &name)
                        .with_detail("the listener refuses our uid"),
                )
            }
            (1, REFUSED_RING) => {
                return Err(Error::new(ErrorKind::InvalidData, "ring handshake", &name)
                    .with_detail("the listener refused the rings (capacity above its maximum?)"))
            }
            _ => {
                return Err(Error::new(ErrorKind::InvalidData, "ring handshake", &name)
                    .with_detail(format!("unexpected reply of {n} bytes")))
            }
        }
        sock.set_read_timeout(None)?;
        let cred = sock.peer_cred()?;
        let link = Arc::new(Link {
            sock,
            cred,
            name,
            kicks: Default::default(),
        });
        let mut cfg = wait_opts(self.spin, self.check_interval);
        cfg.asymmetric = ours_opt & reply[1] & OPT_MEMBARRIER != 0;
        Ok(Connection {
            sender: Sender::new(ours, cfg, link.clone()),
            receiver: Receiver::new(theirs, cfg, link),
        })
    }
}

/// Connects to the ring listener at `addr` with the defaults (1 MiB per direction, 50 µs
/// spin): `Connection::builder(addr).connect()`.
///
/// # Errors
/// As [`ConnectBuilder::connect`].
pub fn connect(addr: &SocketAddr) -> Result<Connection> {
    Connection::builder(addr).connect()
}

/// Binds a ring listener at `addr` (a path, or `@name` in the abstract namespace) that
/// accepts peers of our own effective uid: `Listener::builder(addr).create_new()`.
///
/// # Errors
/// As [`ListenerBuilder::create_new`].
pub fn listen(addr: &SocketAddr) -> Result<Listener> {
    Listener::builder(addr).create_new()
}

/// Which uids a listener accepts.
#[derive(Debug, Clone)]
enum Uids {
    Any,
    These(Vec<u32>),
}

/// A bound ring listener: a Unix seqpacket socket whose [`Listener::accept`] verifies the
/// connector's rings and uid.
#[derive(Debug)]
pub struct Listener {
    sock: UnixSeqpacketListener,
    uids: Uids,
    max_capacity: usize,
    cfg: WaitConfig,
    name: String,
}

/// A connection [`Listener::accept_start`] accepted whose hello has not been taken yet.
#[derive(Debug)]
pub(crate) struct Handshake {
    sock: UnixSeqpacket,
    cred: PeerCred,
    name: String,
    deadline: crate::sys::Deadline,
}

impl Handshake {
    /// The connection's socket: readable when the hello arrived (or the connector left).
    pub(crate) fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }

    /// When [`Listener::try_complete`] gives up on the hello.
    pub(crate) fn deadline(&self) -> crate::sys::Deadline {
        self.deadline
    }
}

/// Options for [`Listener::builder`]: who may connect, the largest ring, how to wait.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until create_new() or open_or_create()"]
pub struct ListenerBuilder {
    addr: SocketAddr,
    uids: Uids,
    max_capacity: usize,
    spin: Duration,
    check_interval: Duration,
}

impl Listener {
    /// A builder for a listener at `addr`; by default it accepts only our effective uid and
    /// rings up to 1 GiB.
    pub fn builder(addr: &SocketAddr) -> ListenerBuilder {
        ListenerBuilder {
            addr: addr.clone(),
            uids: Uids::These(vec![sys::geteuid()]),
            max_capacity: MAX_CAPACITY,
            spin: DEFAULT_SPIN,
            check_interval: DEFAULT_CHECK_INTERVAL,
        }
    }

    /// Accepts one connection: checks the peer's uid (`SO_PEERCRED`), receives its two
    /// memfds (`SCM_RIGHTS`), verifies their seals (`F_GET_SEALS`), sizes (`fstat`) and
    /// headers, maps them and answers. The connector's first ring is our receiving one.
    ///
    /// # Errors
    /// A failure concerns that one connector; the listener stays usable.
    /// - [`ErrorKind::PermissionDenied`] if the peer's uid is not allowed (it is told so).
    /// - [`ErrorKind::InvalidData`] if it sent something other than a valid hello with two
    ///   sealed memfds of the ring layout.
    /// - [`ErrorKind::TimedOut`] if it sent nothing within [`HANDSHAKE_TIMEOUT`].
    #[doc(alias = "accept4")]
    pub fn accept(&self) -> Result<Connection> {
        let hs = self.accept_start()?;
        hs.sock.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
        let mut hello = [0u8; 32];
        let got = hs.sock.recv_fds(&mut hello, HELLO_FDS_MAX);
        let got = got.map_err(|e| match e.kind() {
            ErrorKind::WouldBlock => Error::new(ErrorKind::TimedOut, "ring accept", &hs.name),
            _ => e,
        });
        self.complete(hs, &hello, got)
    }

    /// The first half of [`Listener::accept`]: accepts the socket and checks the peer's
    /// uid, without waiting for its hello (for a `channel::Select`, which must not block on
    /// one connector). The hello is then taken by [`Listener::try_complete`] once the
    /// handshake's socket ([`Handshake::as_fd`]) is readable.
    ///
    /// # Errors
    /// As [`Listener::accept`] (`PermissionDenied`; `WouldBlock` if the listener is
    /// non-blocking and nobody waits).
    pub(crate) fn accept_start(&self) -> Result<Handshake> {
        let sock = self.sock.accept()?;
        let cred = sock.peer_cred()?;
        let name = format!("{} peer pid {}", self.name, cred.pid);
        let allowed = match &self.uids {
            Uids::Any => true,
            Uids::These(v) => v.contains(&cred.uid),
        };
        if !allowed {
            let _ = sock.send(&[REFUSED_UID]);
            return Err(
                Error::new(ErrorKind::PermissionDenied, "ring accept", &name)
                    .with_detail(format!("uid {} is not allowed", cred.uid)),
            );
        }
        Ok(Handshake {
            sock,
            cred,
            name,
            deadline: crate::sys::Deadline::after(HANDSHAKE_TIMEOUT),
        })
    }

    /// The second half of [`Listener::accept`], never blocking: takes the hello if it is
    /// there (`MSG_DONTWAIT` on our own end of the socket, which the connector cannot make
    /// blocking) and finishes the handshake; gives the handshake back if the hello has not
    /// arrived and [`HANDSHAKE_TIMEOUT`] has not passed since [`Listener::accept_start`].
    ///
    /// # Errors
    /// As [`Listener::accept`]: `InvalidData` (a bad hello), `PeerGone` (the connector left),
    /// `TimedOut` (no hello within [`HANDSHAKE_TIMEOUT`]).
    pub(crate) fn try_complete(
        &self,
        hs: Handshake,
    ) -> Result<std::result::Result<Connection, Handshake>> {
        hs.sock.set_nonblocking(true)?;
        let mut hello = [0u8; 32];
        let got = hs.sock.recv_fds(&mut hello, HELLO_FDS_MAX);
        match got {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if hs.deadline.remaining().is_zero() {
                    return Err(Error::new(ErrorKind::TimedOut, "ring accept", &hs.name)
                        .with_detail(format!("no hello within {HANDSHAKE_TIMEOUT:?}")));
                }
                Ok(Err(hs))
            }
            got => {
                hs.sock.set_nonblocking(false)?;
                self.complete(hs, &hello, got).map(Ok)
            }
        }
    }

    /// Checks the hello `got` into `hello` (its length and fds), maps the rings and answers.
    fn complete(
        &self,
        hs: Handshake,
        hello: &[u8; 32],
        got: Result<(usize, Vec<std::os::fd::OwnedFd>)>,
    ) -> Result<Connection> {
        let Handshake {
            sock, cred, name, ..
        } = hs;
        let (n, fds) = got.map_err(|e| match e.kind() {
            ErrorKind::TooLarge => Error::new(ErrorKind::InvalidData, "ring accept", &name)
                .with_detail("hello too long or too many fds"),
            _ => e,
        })?;
        let rings = if n != HELLO_LEN || hello[..MAGIC.len()] != MAGIC[..] {
            Err(Error::new(ErrorKind::InvalidData, "ring accept", &name)
                .with_detail(format!("bad hello: {n} bytes, {} fds", fds.len())))
        } else if hello[HELLO_VERSION] != VERSION as u8 || fds.len() != HELLO_FDS {
            let old = if hello[HELLO_VERSION] == 2 {
                " (version 2 passed eventfd doorbells; version 3 rings over the socket)"
            } else {
                ""
            };
            Err(
                Error::new(ErrorKind::InvalidData, "ring accept", &name).with_detail(format!(
                    "ring version {} with {} fds, need version {VERSION} with {HELLO_FDS}{old}",
                    hello[HELLO_VERSION],
                    fds.len()
                )),
            )
        } else {
            let (rx_mem, tx_mem) = (&fds[0], &fds[1]);
            Ring::verify(rx_mem.as_fd(), self.max_capacity, &name).and_then(|rx| {
                Ring::verify(tx_mem.as_fd(), self.max_capacity, &name).map(|tx| (rx, tx))
            })
        };
        let (rx, tx) = match rings {
            Ok(r) => r,
            Err(e) => {
                let _ = sock.send(&[REFUSED_RING]);
                return Err(e);
            }
        };
        let ours_opt = our_options();
        sock.send(&[ACCEPTED, ours_opt])?;
        sock.set_read_timeout(None)?;
        let link = Arc::new(Link {
            sock,
            cred,
            name,
            kicks: Default::default(),
        });
        let mut cfg = self.cfg;
        cfg.asymmetric = ours_opt & hello[HELLO_OPTS] & OPT_MEMBARRIER != 0;
        Ok(Connection {
            sender: Sender::new(tx, cfg, link.clone()),
            receiver: Receiver::new(rx, cfg, link),
        })
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// Only from `getsockname` on a bad fd.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.sock.local_addr()
    }

    /// Makes [`Listener::accept`] return [`ErrorKind::WouldBlock`] instead of waiting for a
    /// connector (the handshake with one that is there still waits, at most
    /// [`HANDSHAKE_TIMEOUT`]).
    ///
    /// # Errors
    /// Only from `fcntl` on a bad fd.
    #[doc(alias = "O_NONBLOCK")]
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        self.sock.set_nonblocking(nonblocking)
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

impl AsRawFd for Listener {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl ListenerBuilder {
    /// Also accepts peers running as `uid` (by default only our effective uid).
    pub fn allow_uid(mut self, uid: u32) -> ListenerBuilder {
        if let Uids::These(v) = &mut self.uids {
            v.push(uid);
        }
        self
    }

    /// Accepts peers of any uid.
    pub fn allow_any_uid(mut self) -> ListenerBuilder {
        self.uids = Uids::Any;
        self
    }

    /// Refuses rings larger than `bytes` (default 1 GiB), bounding what a peer makes us map.
    pub fn max_capacity(mut self, bytes: usize) -> ListenerBuilder {
        self.max_capacity = bytes.min(MAX_CAPACITY);
        self
    }

    /// The spin window of accepted connections (see [`ConnectBuilder::spin`]).
    pub fn spin(mut self, window: Duration) -> ListenerBuilder {
        self.spin = window;
        self
    }

    /// The liveness interval of accepted connections (see
    /// [`ConnectBuilder::check_interval`]).
    pub fn check_interval(mut self, interval: Duration) -> ListenerBuilder {
        self.check_interval = interval;
        self
    }

    fn build(self, sock: UnixSeqpacketListener) -> Listener {
        // Registered now, not in the first accept between the hello and the answer, which
        // the connector waits for at most HANDSHAKE_TIMEOUT (see ConnectBuilder::connect).
        our_options();
        Listener {
            sock,
            name: format!("shm-ring {}", self.addr),
            uids: self.uids,
            max_capacity: self.max_capacity,
            cfg: wait_opts(self.spin, self.check_interval),
        }
    }

    /// Binds the socket (`socket(AF_UNIX, SOCK_SEQPACKET)`, `bind`, `listen`); a path is
    /// removed again when the listener is dropped.
    ///
    /// # Errors
    /// [`ErrorKind::AlreadyExists`] if the address is in use, others as
    /// [`UnixSeqpacketListener::bind`].
    pub fn create_new(self) -> Result<Listener> {
        let sock = UnixSeqpacketListener::bind(&self.addr)?;
        Ok(self.build(sock))
    }

    /// As [`ListenerBuilder::create_new`], but a socket file at the path that nobody listens
    /// on (left by a crash) is replaced.
    ///
    /// # Errors
    /// As [`UnixSeqpacketListener::bind_reclaim`].
    pub fn open_or_create(self) -> Result<Listener> {
        let sock = UnixSeqpacketListener::bind_reclaim(&self.addr)?;
        Ok(self.build(sock))
    }
}
