//! One [`Link`] per peer: how each crate carries a message of `size` bytes both ways between
//! the parent and its re-executed child. Every `send` writes the whole payload
//! ([`fill`]); every `recv` checksums the whole payload ([`check`]).

use std::io::{Read, Write};
use std::mem::MaybeUninit;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::{check, fill, pattern, Res};

/// How long a receiver waits for a message before it calls the peer gone.
const STALL: Duration = Duration::from_secs(10);

/// One side of a bidirectional message link.
pub trait Link {
    /// Sends message `seq` of `size` bytes, every byte written.
    fn send(&mut self, seq: u64, size: usize) -> Res<()>;
    /// Receives one message, checksums all of it, and returns its sequence number.
    fn recv(&mut self) -> Res<u64>;
    /// Called in the parent once the child said it is ready.
    fn ready(&mut self) -> Res<()> {
        Ok(())
    }
}

/// The peers, in table order.
pub const PEERS: &[&str] = &[
    "ipckit-shm-ring",
    "ipckit-shm-ring-zc",
    "ipckit-shm-ring-zc-spin",
    "ipckit-unix-stream",
    "iceoryx2-poll",
    "iceoryx2-event",
    "ipc-channel",
    "interprocess",
];

/// The parent's side: sets up, calls `spawn` when the child may start, and returns the link.
pub fn parent(
    peer: &str,
    size: usize,
    name: &str,
    spawn: &mut dyn FnMut() -> Res<Child>,
) -> Res<(Box<dyn Link>, Child)> {
    match peer {
        "ipckit-shm-ring" | "ipckit-shm-ring-zc" | "ipckit-shm-ring-zc-spin" => {
            ring::parent(peer, size, name, spawn)
        }
        "ipckit-unix-stream" => unix::parent(size, name, spawn),
        "iceoryx2-poll" | "iceoryx2-event" => iox::parent(peer, size, spawn),
        "ipc-channel" => ipcc::parent(size, spawn),
        "interprocess" => intp::parent(size, name, spawn),
        _ => Err(format!("unknown peer {peer}; known: {}", PEERS.join(", ")).into()),
    }
}

/// The child's side.
pub fn child(peer: &str, size: usize, name: &str) -> Res<Box<dyn Link>> {
    match peer {
        "ipckit-shm-ring" | "ipckit-shm-ring-zc" | "ipckit-shm-ring-zc-spin" => {
            ring::child(peer, size, name)
        }
        "ipckit-unix-stream" => unix::child(size, name),
        "iceoryx2-poll" | "iceoryx2-event" => iox::child(peer, size),
        "ipc-channel" => ipcc::child(size),
        "interprocess" => intp::child(size, name),
        _ => Err(format!("unknown peer {peer}").into()),
    }
}

/// A local buffer of `size` bytes (copy-mode senders fill it, then hand it over).
fn buffer(size: usize) -> Vec<u8> {
    vec![0u8; size]
}

mod ring {
    //! `ipckit::ring` (`shm-ring:@NAME`), one connection, split into its two rings.
    //! `ipckit-shm-ring`: copy mode, `send(&[u8])` of a filled local buffer and
    //! `recv(&mut Vec<u8>)`. `-zc`: zero-copy, the payload written in place in a `reserve`d
    //! grant and checksummed in place through `recv_ref`. `-zc-spin`: zero-copy with a 10 ms
    //! spin window instead of the 50 µs default, so that a receiver waiting for a large
    //! message keeps polling rather than sleeping on the futex.
    use super::*;
    use ipckit::net::unix::SocketAddr;
    use ipckit::ring::{Connection, Listener, Receiver, Sender};

    /// Ring capacity: 1 MiB (the default) up to 64 KiB messages, 4 MiB for 1 MiB.
    fn capacity(size: usize) -> usize {
        if size <= 64 << 10 {
            1 << 20
        } else {
            (4 * size).next_power_of_two()
        }
    }

    struct Ring {
        tx: Sender,
        rx: Receiver,
        zero_copy: bool,
        buf: Vec<u8>,
        out: Vec<u8>,
    }

    impl Link for Ring {
        fn send(&mut self, seq: u64, size: usize) -> Res<()> {
            if self.zero_copy {
                let mut g = self.tx.reserve(size)?;
                fill(&mut g, seq);
                g.commit();
            } else {
                fill(&mut self.out[..size], seq);
                self.tx.send(&self.out[..size])?;
            }
            Ok(())
        }
        fn recv(&mut self) -> Res<u64> {
            if self.zero_copy {
                let r = self.rx.recv_ref()?;
                check(&r)
            } else {
                self.rx.recv(&mut self.buf)?;
                check(&self.buf)
            }
        }
    }

    fn link(c: Connection, peer: &str, size: usize) -> Box<dyn Link> {
        let (tx, rx) = c.split();
        Box::new(Ring {
            tx,
            rx,
            zero_copy: peer.contains("-zc"),
            buf: Vec::with_capacity(size),
            out: buffer(size),
        })
    }

    /// The spin window: ipckit's default (50 µs), 10 ms for `-spin` (a receiver that
    /// busy-polls as long as messages keep coming, like `iceoryx2-poll`), or
    /// `PEERS_RING_SPIN_US` µs if set (for experiments).
    fn spin(peer: &str) -> Option<Duration> {
        if let Some(us) = std::env::var("PEERS_RING_SPIN_US")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            return Some(Duration::from_micros(us));
        }
        peer.ends_with("-spin").then(|| Duration::from_millis(10))
    }

    fn addr(name: &str) -> Res<SocketAddr> {
        Ok(format!("@{name}-ring").parse()?)
    }

    pub fn parent(
        peer: &str,
        size: usize,
        name: &str,
        spawn: &mut dyn FnMut() -> Res<Child>,
    ) -> Res<(Box<dyn Link>, Child)> {
        let mut b = Listener::builder(&addr(name)?).max_capacity(capacity(size));
        if let Some(w) = spin(peer) {
            b = b.spin(w);
        }
        let l = b.create_new()?;
        let ch = spawn()?;
        Ok((link(l.accept()?, peer, size), ch))
    }

    pub fn child(peer: &str, size: usize, name: &str) -> Res<Box<dyn Link>> {
        let mut b = Connection::builder(&addr(name)?).capacity(capacity(size));
        if let Some(w) = spin(peer) {
            b = b.spin(w);
        }
        let c = b.connect()?;
        Ok(link(c, peer, size))
    }
}

mod unix {
    //! `ipckit::channel` over `unix:@NAME` (a Unix stream socket, length-framed), one
    //! connection per direction: channels are one-way.
    use super::*;
    use ipckit::channel::{self, Address, ChannelOptions, Receiver, Sender};

    struct Unix {
        tx: Sender,
        rx: Receiver,
        buf: Vec<u8>,
        out: Vec<u8>,
    }

    impl Link for Unix {
        fn send(&mut self, seq: u64, size: usize) -> Res<()> {
            fill(&mut self.out[..size], seq);
            self.tx.send(&self.out[..size])?;
            Ok(())
        }
        fn recv(&mut self) -> Res<u64> {
            self.rx.recv(&mut self.buf)?;
            check(&self.buf)
        }
    }

    fn opts(size: usize) -> ChannelOptions {
        ChannelOptions::new().with_max_message(size.max(1 << 20))
    }

    fn addr(name: &str, dir: &str) -> Res<Address> {
        Ok(format!("unix:@{name}-{dir}").parse()?)
    }

    pub fn parent(
        size: usize,
        name: &str,
        spawn: &mut dyn FnMut() -> Res<Child>,
    ) -> Res<(Box<dyn Link>, Child)> {
        let mut l = channel::listen_with(&addr(name, "c2p")?, &opts(size))?;
        let ch = spawn()?;
        let rx = l.accept()?;
        // The child listens on p2c before it connects to c2p.
        let tx = channel::connect_with(&addr(name, "p2c")?, &opts(size))?;
        let link = Unix {
            tx,
            rx,
            buf: Vec::with_capacity(size),
            out: buffer(size),
        };
        Ok((Box::new(link), ch))
    }

    pub fn child(size: usize, name: &str) -> Res<Box<dyn Link>> {
        let mut l = channel::listen_with(&addr(name, "p2c")?, &opts(size))?;
        let tx = channel::connect_with(&addr(name, "c2p")?, &opts(size))?;
        let rx = l.accept()?;
        Ok(Box::new(Unix {
            tx,
            rx,
            buf: Vec::with_capacity(size),
            out: buffer(size),
        }))
    }
}

mod iox {
    //! iceoryx2 publish-subscribe of `[u8]` slices, one service per direction, samples loaned
    //! and written in place. `iceoryx2-poll`: the subscriber busy-polls `receive()`.
    //! `iceoryx2-event`: each send is followed by `notify()` on an event service, and an empty
    //! subscriber blocks in `Listener::blocking_wait`.
    use super::*;
    use iceoryx2::config::Config;
    use iceoryx2::port::listener::Listener;
    use iceoryx2::port::notifier::Notifier;
    use iceoryx2::port::publisher::Publisher;
    use iceoryx2::port::subscriber::Subscriber;
    use iceoryx2::prelude::*;

    type S = ipc::Service;

    struct Iox {
        // Ports before the node: they are dropped first.
        publisher: Publisher<S, [u8], ()>,
        subscriber: Subscriber<S, [u8], ()>,
        events: Option<(Notifier<S>, Listener<S>)>,
        _node: Node<S>,
    }

    /// Local use only: every file under the run's own root (`PEERS_IOX_ROOT`) with the run's
    /// own prefix (`PEERS_IOX_PREFIX`, also the prefix of its /dev/shm objects), so that
    /// `run.sh` can remove whatever a killed run leaves.
    fn config() -> Res<Config> {
        let mut c = Config::default();
        let root =
            std::env::var("PEERS_IOX_ROOT").unwrap_or_else(|_| "/tmp/ipckit-peers-iox2".into());
        let prefix = std::env::var("PEERS_IOX_PREFIX").unwrap_or_else(|_| "ipkpeers_".into());
        c.global
            .set_root_path(&iceoryx2::prelude::Path::new(root.as_bytes())?);
        c.global.prefix = FileName::new(prefix.as_bytes())?;
        Ok(c)
    }

    /// Subscriber buffer: up to 256 samples, at most 16 MiB of them, at least 4.
    fn slots(size: usize) -> usize {
        ((16 << 20) / size).clamp(4, 256)
    }

    fn open(peer: &str, size: usize, mine: &str, theirs: &str, create: bool) -> Res<Iox> {
        let node = NodeBuilder::new().config(&config()?).create::<S>()?;
        let pubsub = |name: &str| -> Res<_> {
            let b = node
                .service_builder(&ServiceName::new(name)?)
                .publish_subscribe::<[u8]>()
                .max_publishers(1)
                .max_subscribers(1)
                .history_size(0)
                .subscriber_max_buffer_size(slots(size))
                .enable_safe_overflow(false);
            Ok(if create { b.create()? } else { b.open()? })
        };
        let (out, inc) = (pubsub(mine)?, pubsub(theirs)?);
        let publisher = out
            .publisher_builder()
            .initial_max_slice_len(size)
            .backpressure_strategy(BackpressureStrategy::RetryUntilDelivered)
            .create()?;
        let subscriber = inc.subscriber_builder().create()?;
        let events = if peer.ends_with("-event") {
            let event = |name: &str| -> Res<_> {
                let b = node
                    .service_builder(&ServiceName::new(&format!("{name}-ev"))?)
                    .event();
                Ok(if create { b.create()? } else { b.open()? })
            };
            let (eo, ei) = (event(mine)?, event(theirs)?);
            Some((
                eo.notifier_builder().create()?,
                ei.listener_builder().create()?,
            ))
        } else {
            None
        };
        Ok(Iox {
            publisher,
            subscriber,
            events,
            _node: node,
        })
    }

    impl Link for Iox {
        fn send(&mut self, seq: u64, size: usize) -> Res<()> {
            let mut s = self.publisher.loan_slice_uninit(size)?;
            let p = s.payload_mut();
            // The same bytes as `fill` writes, in one pass over the uninitialised payload.
            p.fill(MaybeUninit::new(pattern(seq)));
            for (d, b) in p[..8].iter_mut().zip(seq.to_le_bytes()) {
                *d = MaybeUninit::new(b);
            }
            // SAFETY: the whole payload is initialised.
            let s = unsafe { s.assume_init() };
            s.send()?;
            if let Some((n, _)) = &self.events {
                n.notify()?;
            }
            Ok(())
        }
        fn recv(&mut self) -> Res<u64> {
            let t = Instant::now();
            let mut spins = 0u32;
            loop {
                if let Some(s) = self.subscriber.receive()? {
                    return check(s.payload());
                }
                match &self.events {
                    Some((_, l)) => {
                        if l.timed_wait(|_| {}, STALL)? == 0 && t.elapsed() >= STALL {
                            return Err("iceoryx2: peer stalled".into());
                        }
                    }
                    None => {
                        std::hint::spin_loop();
                        spins = spins.wrapping_add(1);
                        if spins.is_multiple_of(1 << 16) && t.elapsed() >= STALL {
                            return Err("iceoryx2: peer stalled".into());
                        }
                    }
                }
            }
        }
    }

    pub fn parent(
        peer: &str,
        size: usize,
        spawn: &mut dyn FnMut() -> Res<Child>,
    ) -> Res<(Box<dyn Link>, Child)> {
        let link = open(peer, size, "p2c", "c2p", true)?;
        Ok((Box::new(link), spawn()?))
    }

    pub fn child(peer: &str, size: usize) -> Res<Box<dyn Link>> {
        Ok(Box::new(open(peer, size, "c2p", "p2c", false)?))
    }
}

mod ipcc {
    //! ipc-channel's byte channels (`IpcBytesSender`/`IpcBytesReceiver`, no serialisation),
    //! one per direction, handed over through an `IpcOneShotServer`. `recv` returns a new
    //! `Vec<u8>` per message (the API has no receive into a caller's buffer).
    use super::*;
    use ipc_channel::ipc::{self, IpcBytesReceiver, IpcBytesSender, IpcOneShotServer, IpcSender};

    type Boot = (IpcBytesSender, IpcBytesReceiver);

    struct Ipcc {
        tx: IpcBytesSender,
        rx: IpcBytesReceiver,
        out: Vec<u8>,
    }

    impl Link for Ipcc {
        fn send(&mut self, seq: u64, size: usize) -> Res<()> {
            fill(&mut self.out[..size], seq);
            self.tx.send(&self.out[..size])?;
            Ok(())
        }
        fn recv(&mut self) -> Res<u64> {
            let v = self
                .rx
                .recv()
                .map_err(|e| format!("ipc-channel recv: {e:?}"))?;
            check(&v)
        }
    }

    pub fn parent(
        size: usize,
        spawn: &mut dyn FnMut() -> Res<Child>,
    ) -> Res<(Box<dyn Link>, Child)> {
        let (server, name) = IpcOneShotServer::<Boot>::new()?;
        std::env::set_var("PEERS_IPCC_SERVER", name);
        let ch = spawn()?;
        let (_, (tx, rx)) = server
            .accept()
            .map_err(|e| format!("ipc-channel accept: {e:?}"))?;
        Ok((
            Box::new(Ipcc {
                tx,
                rx,
                out: buffer(size),
            }),
            ch,
        ))
    }

    pub fn child(size: usize) -> Res<Box<dyn Link>> {
        let name = std::env::var("PEERS_IPCC_SERVER")?;
        let (tx_p2c, rx_p2c) = ipc::bytes_channel()?;
        let (tx_c2p, rx_c2p) = ipc::bytes_channel()?;
        IpcSender::<Boot>::connect(name)?
            .send((tx_p2c, rx_c2p))
            .map_err(|e| format!("ipc-channel boot: {e:?}"))?;
        Ok(Box::new(Ipcc {
            tx: tx_c2p,
            rx: rx_p2c,
            out: buffer(size),
        }))
    }
}

mod intp {
    //! interprocess 2: one local socket (`GenericNamespaced`: an abstract Unix stream socket on
    //! Linux), both directions, each message framed by a 4-byte length written in the same
    //! `write_all` as the payload.
    use super::*;
    use interprocess::local_socket::{prelude::*, GenericNamespaced, ListenerOptions, Stream};

    struct Intp {
        s: Stream,
        buf: Vec<u8>,
        out: Vec<u8>,
    }

    impl Link for Intp {
        fn send(&mut self, seq: u64, size: usize) -> Res<()> {
            self.out[..4].copy_from_slice(&(size as u32).to_le_bytes());
            fill(&mut self.out[4..4 + size], seq);
            self.s.write_all(&self.out[..4 + size])?;
            Ok(())
        }
        fn recv(&mut self) -> Res<u64> {
            let mut len = [0u8; 4];
            self.s.read_exact(&mut len)?;
            let n = u32::from_le_bytes(len) as usize;
            if n > self.buf.len() {
                return Err(format!("interprocess: frame of {n} bytes").into());
            }
            self.s.read_exact(&mut self.buf[..n])?;
            check(&self.buf[..n])
        }
    }

    fn sock(name: &str) -> String {
        format!("{name}-intp.sock")
    }

    pub fn parent(
        size: usize,
        name: &str,
        spawn: &mut dyn FnMut() -> Res<Child>,
    ) -> Res<(Box<dyn Link>, Child)> {
        let n = sock(name);
        let l = ListenerOptions::new()
            .name(n.as_str().to_ns_name::<GenericNamespaced>()?)
            .create_sync()?;
        let ch = spawn()?;
        let s = l.accept()?;
        Ok((
            Box::new(Intp {
                s,
                buf: buffer(size),
                out: buffer(size + 4),
            }),
            ch,
        ))
    }

    pub fn child(size: usize, name: &str) -> Res<Box<dyn Link>> {
        let n = sock(name);
        let s = Stream::connect(n.as_str().to_ns_name::<GenericNamespaced>()?)?;
        Ok(Box::new(Intp {
            s,
            buf: buffer(size),
            out: buffer(size + 4),
        }))
    }
}
