//! `async-unix-stream`, `typed-async-unix-stream`: [`ipckit::tokio`]'s async ends (and
//! [`ipckit::tokio::typed`]'s, MessagePack, the [`Sample`] struct of the typed rows) over a
//! `unix:PATH` channel, one channel per direction, each process running a tokio
//! current-thread runtime and blocking on it for every send and receive (`block_on(tx.send)`,
//! `block_on(rx.recv)`): what one task of an async program pays per message.
//!
//! The twin in the report's "raw" column is **not** a libc twin: it is ipckit's blocking
//! byte channel over the same transport ([`super::typed::Bytes`] over `unix:`, the same
//! framing and order of opens). So the ratio of `async-unix-stream` is the async layer's
//! cost (the reactor, `epoll`, the runtime's scheduling) over the blocking byte channel; the
//! ratio of `typed-async-unix-stream` is the async and typed layers' cost together.

use ipckit::channel::{Address, ChannelOptions};
use ipckit::tokio as atokio;
use tokio::runtime::Runtime;

use super::typed::{Bytes, Sample, Transport};
use crate::common::arg;
use crate::scenario::{any_size, Case, Endpoint, Mechanism, Scenario, Setup};

const NOTE: &str = "ipckit::tokio ends on a tokio current-thread runtime in each process (block_on per send and receive); the \"raw\" column is NOT libc here but ipckit's blocking byte channel over the same unix: transport, so the ratio is the async layer's cost over the blocking channel";

const NOTE_TYPED: &str = "ipckit::tokio::typed (MessagePack, the typed rows' 5-field struct) on a tokio current-thread runtime in each process; the \"raw\" column is NOT libc here but ipckit's blocking byte channel over the same unix: transport, so the ratio is the async and typed layers' cost together";

/// The `async-unix-stream` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "async-unix-stream",
    about: "ipckit::tokio over unix:PATH (current-thread runtime), vs the blocking byte channel over unix:",
    note: Some(NOTE),
    has_throughput: true,
    check: any_size,
    ipckit: &Async { typed: false },
    raw: &Bytes {
        transport: Transport::UnixStream,
    },
};

/// The `typed-async-unix-stream` row.
pub const MECHANISM_TYPED: Mechanism = Mechanism {
    name: "typed-async-unix-stream",
    about: "ipckit::tokio::typed (MessagePack) over unix:PATH (current-thread runtime), vs the blocking byte channel over unix:",
    note: Some(NOTE_TYPED),
    has_throughput: true,
    check: any_size,
    ipckit: &Async { typed: true },
    raw: &Bytes {
        transport: Transport::UnixStream,
    },
};

/// The async row: byte or typed async ends.
pub struct Async {
    /// `tokio::typed` ends of [`Sample`] instead of byte ends.
    pub typed: bool,
}

fn runtime() -> anyhow::Result<Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn options() -> ChannelOptions {
    ChannelOptions::new()
}

fn make(
    rt: Runtime,
    tx: atokio::Sender,
    rx: atokio::Receiver,
    l: atokio::Listener,
    typed: bool,
) -> Box<dyn Endpoint> {
    if typed {
        Box::new(TypedEnds {
            tx: atokio::typed::Sender::new(tx),
            rx: atokio::typed::Receiver::new(rx),
            out: Sample::from_bytes(&[]),
            _listener: l,
            rt,
        })
    } else {
        Box::new(AsyncEnds {
            tx,
            rx,
            _listener: l,
            rt,
        })
    }
}

impl Scenario for Async {
    /// Parent: listens on the first address now; on connect accepts the peer, then connects
    /// to the peer's listener (the peer listens first, then connects, then accepts).
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let to_parent = format!("unix:{}", case.path("async-to-parent.sock").display());
        let to_peer = format!("unix:{}", case.path("async-to-peer.sock").display());
        let rt = runtime()?;
        let addr: Address = to_parent.parse()?;
        let mut listener = {
            let _in = rt.enter();
            atokio::listen_with(&addr, &options())?
        };
        let typed = self.typed;
        Ok(Setup::new(vec![to_parent, to_peer.clone()], move || {
            let (tx, rx) = rt.block_on(async {
                let rx = listener.accept().await?;
                let tx = atokio::connect_with(&to_peer.parse()?, &options()).await?;
                anyhow::Ok((tx, rx))
            })?;
            Ok(make(rt, tx, rx, listener, typed))
        }))
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let to_parent: Address = arg(args, 0, "address to the parent")?.parse()?;
        let to_peer: Address = arg(args, 1, "address to the peer")?.parse()?;
        let rt = runtime()?;
        let (tx, rx, listener) = rt.block_on(async {
            let mut listener = atokio::listen_with(&to_peer, &options())?;
            let tx = atokio::connect_with(&to_parent, &options()).await?;
            let rx = listener.accept().await?;
            anyhow::Ok((tx, rx, listener))
        })?;
        Ok(make(rt, tx, rx, listener, self.typed))
    }
}

struct AsyncEnds {
    tx: atokio::Sender,
    rx: atokio::Receiver,
    /// Keeps the listener (its socket file) for the scenario's lifetime.
    _listener: atokio::Listener,
    rt: Runtime,
}

impl Endpoint for AsyncEnds {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        Ok(self.rt.block_on(self.tx.send(msg))?)
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        self.rt.block_on(self.rx.recv(buf))?;
        Ok(())
    }
}

struct TypedEnds {
    tx: atokio::typed::Sender<Sample>,
    rx: atokio::typed::Receiver<Sample>,
    /// The struct the sender refills for each message (as in the typed rows).
    out: Sample,
    _listener: atokio::Listener,
    rt: Runtime,
}

impl Endpoint for TypedEnds {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        self.out.fill_from(msg);
        Ok(self.rt.block_on(self.tx.send(&self.out))?)
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        self.rt.block_on(self.rx.recv())?.write_to(buf);
        Ok(())
    }
}
