//! The kill-at-random harness, shared part: the transports, the messages, the counter file
//! both processes map, and the peer process's roles (see `tests/kill_at_random.rs`).

use std::io::Read;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ipckit::channel::{self, Address};
use ipckit::mmap::{MappedBytes, MappedFile};
use nix::sys::signal::{raise, Signal};
use nix::sys::socket::{setsockopt, sockopt};

/// Socket buffers of TCP trials, small so a flood blocks after a few hundred messages.
pub(crate) const TCP_BUF: usize = 4096;

/// Slots of the shared counter file (u32 each).
pub(crate) const PROGRESS: usize = 0;
pub(crate) const READY: usize = 4;
pub(crate) const BAD: usize = 8;
pub(crate) const COUNTER_LEN: usize = 64;

/// The transports, one `#[test]` each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Fifo,
    Unix,
    UnixDgram,
    UnixSeqpacket,
    Tcp,
    SysvMq,
    PosixMq,
}

impl Transport {
    pub(crate) fn scheme(self) -> &'static str {
        match self {
            Transport::Fifo => "fifo",
            Transport::Unix => "unix",
            Transport::UnixDgram => "unix-dgram",
            Transport::UnixSeqpacket => "unix-seqpacket",
            Transport::Tcp => "tcp",
            Transport::SysvMq => "sysv-mq",
            Transport::PosixMq => "posix-mq",
        }
    }

    /// A byte stream framed by ipckit (a frame can be cut).
    pub(crate) fn is_stream(self) -> bool {
        matches!(self, Transport::Fifo | Transport::Unix | Transport::Tcp)
    }

    /// A queue: the survivor owns it in both directions.
    pub(crate) fn is_queue(self) -> bool {
        matches!(self, Transport::SysvMq | Transport::PosixMq)
    }

    /// Whether a receiver sees its sender's death (the transport has a connection).
    pub(crate) fn receiver_sees_death(self) -> bool {
        !self.is_queue() && self != Transport::UnixDgram
    }

    /// Whether a sender sees its receiver's death (a connected datagram socket does:
    /// `ECONNREFUSED` once the bound socket is closed).
    pub(crate) fn sender_sees_death(self) -> bool {
        !self.is_queue()
    }
}

/// The message with index `i`: its index, then `i % 29` filler bytes (4..32 bytes).
pub(crate) fn message(i: u32) -> Vec<u8> {
    let mut m = i.to_le_bytes().to_vec();
    m.resize(4 + (i % 29) as usize, i as u8);
    m
}

/// The index of a message made by [`message`], `None` if it is not one.
pub(crate) fn index_of(m: &[u8]) -> Option<u32> {
    let i = u32::from_le_bytes(m.get(..4)?.try_into().ok()?);
    (m == message(i)).then_some(i)
}

/// The frame ipckit writes for `message(i)` on a byte stream.
pub(crate) fn frame(i: u32) -> Vec<u8> {
    let m = message(i);
    let mut f = (m.len() as u32).to_le_bytes().to_vec();
    f.extend_from_slice(&m);
    f
}

/// The shared counter file of one test, mapped by the survivor and each peer.
pub(crate) struct Counter {
    pub(crate) map: MappedFile,
}

impl Counter {
    pub(crate) fn slot(&self, offset: usize) -> &AtomicU32 {
        self.map.atomic_u32(offset).expect("counter slot")
    }
    pub(crate) fn get(&self, offset: usize) -> u32 {
        self.slot(offset).load(Ordering::Acquire)
    }
    pub(crate) fn set(&self, offset: usize, v: u32) {
        self.slot(offset).store(v, Ordering::Release);
    }
}
// ---------------------------------------------------------------------------------------
// The peer process.

/// Stops this process; the survivor kills it while stopped.
fn stop_here() -> ! {
    let _ = raise(Signal::SIGSTOP);
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Peer entry: `send|recv ADDR MODE COUNTER K CUT`.
pub fn peer_main(role: &str, args: &[String]) {
    let addr: Address = args[0].parse().expect("address");
    let mode = args[1].as_str();
    let counter = Counter {
        map: MappedFile::builder(&args[2]).open().expect("counter file"),
    };
    let k: u32 = args[3].parse().expect("k");
    let cut: usize = args[4].parse().expect("cut");
    if mode == "before" {
        stop_here();
    }
    let n = if mode == "flood" { u32::MAX } else { k };
    match role {
        "send" => {
            let mut tx = channel::connect(&addr).expect("peer connect");
            counter.set(READY, 1);
            if addr.scheme() == "tcp" {
                let fd = tx.as_fd_opt().expect("fd");
                setsockopt(&fd, sockopt::SndBuf, &TCP_BUF).expect("SO_SNDBUF");
            }
            for i in 0..n {
                tx.send(&message(i)).expect("peer send");
                counter.set(PROGRESS, i + 1);
            }
            if mode == "inside" {
                let f = frame(k);
                let fd = tx.as_fd_opt().expect("a stream has an fd");
                let mut part = &f[..cut];
                while !part.is_empty() {
                    let w = nix::unistd::write(fd, part).expect("partial frame write");
                    part = &part[w..];
                }
            }
            stop_here(); // holding the sender: the kill is what closes it
        }
        "recv" => {
            let mut listener = channel::listen(&addr).expect("peer listen");
            if addr.scheme() == "tcp" {
                let fd = listener.as_fd_opt().expect("fd");
                setsockopt(&fd, sockopt::RcvBuf, &TCP_BUF).expect("SO_RCVBUF");
            }
            counter.set(READY, 1);
            if mode == "inside" {
                let mut rx = listener.accept_raw().expect("peer accept_raw");
                for i in 0..k {
                    let mut f = vec![0u8; frame(i).len()];
                    rx.read_exact(&mut f).expect("peer read frame");
                    if index_of(&f[4..]) != Some(i) {
                        counter.set(BAD, i + 1);
                    }
                    counter.set(PROGRESS, i + 1);
                }
                let mut part = vec![0u8; cut];
                rx.read_exact(&mut part).expect("peer read part of a frame");
                stop_here();
            } else {
                let mut rx = listener.accept().expect("peer accept");
                let mut buf = Vec::new();
                for i in 0..n {
                    rx.recv(&mut buf).expect("peer recv");
                    if index_of(&buf) != Some(i) {
                        counter.set(BAD, i + 1);
                    }
                    counter.set(PROGRESS, i + 1);
                }
                stop_here();
            }
        }
        other => panic!("unknown peer role {other}"),
    }
}
