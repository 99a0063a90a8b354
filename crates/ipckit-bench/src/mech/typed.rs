//! `typed-shm-ring`, `typed-unix-stream`: [`ipckit::channel::typed`] (MessagePack, the
//! default codec) over a `shm-ring:@…` or `unix:PATH` channel, one channel per direction.
//!
//! Each message of the harness (its stamped bytes) becomes a [`Sample`], a struct of five
//! fields (`seq: u64`, `sensor: u32`, `kind:` an enum, `values: [u16; 4]`, `payload:` the
//! rest as MessagePack bin), sent with [`typed::Sender::send`], received with
//! [`typed::Receiver::recv`] and turned back into the same bytes, so the harness verifies
//! every byte as for every row. A 64-byte message encodes to about 110 bytes (the field
//! names travel in every message).
//!
//! The twin in the report's "raw" column is **not** a libc twin: it is the byte channel of
//! the same transport (`channel::Sender::send` / `channel::Receiver::recv`, the same
//! addresses, options and order of opens, the harness's bytes as they are). So the ratio of
//! a typed row is the cost of the typed layer alone (struct building, encoding, decoding,
//! the larger message), over ipckit's byte channel, not over libc; the byte channel's own
//! cost over libc is the `unix-stream` row (same framing) and, for the ring, the `shm-ring`
//! row (the ring without the channel's handshake wrapper).

use std::fmt;

use ipckit::channel::{self, typed, Address, ChannelOptions};
use serde::{Deserialize, Serialize};

use crate::common::arg;
use crate::common::ring::{check_size, CAPACITY};
use crate::scenario::{any_size, Case, Endpoint, Mechanism, Scenario, Setup};

const NOTE: &str = "ipckit::channel::typed, MessagePack (named fields): each message as a 5-field struct (u64, u32, enum, [u16; 4], bin payload), 64 B -> about 110 B encoded; the \"raw\" column is NOT libc here but ipckit's byte channel over the same transport and addresses, so the ratio is the typed layer's cost over byte messages";

/// The `typed-shm-ring` row.
pub const MECHANISM_SHM_RING: Mechanism = Mechanism {
    name: "typed-shm-ring",
    about: "channel::typed (MessagePack) over shm-ring:@ (4 MiB rings), vs the byte channel over the same shm-ring:@ addresses",
    note: Some(NOTE),
    has_throughput: true,
    check: check_size,
    ipckit: &Typed {
        transport: Transport::ShmRing,
    },
    raw: &Bytes {
        transport: Transport::ShmRing,
    },
};

/// The `typed-unix-stream` row.
pub const MECHANISM_UNIX_STREAM: Mechanism = Mechanism {
    name: "typed-unix-stream",
    about: "channel::typed (MessagePack) over unix:PATH (framed stream), vs the byte channel over the same unix: paths",
    note: Some(NOTE),
    has_throughput: true,
    check: any_size,
    ipckit: &Typed {
        transport: Transport::UnixStream,
    },
    raw: &Bytes {
        transport: Transport::UnixStream,
    },
};

/// Which channel transport a row runs over.
#[derive(Clone, Copy)]
pub enum Transport {
    /// `shm-ring:@NAME`.
    ShmRing,
    /// `unix:PATH` under the run's directory.
    UnixStream,
}

impl Transport {
    /// The two addresses of a scenario: parent's receiving end first, the peer's second.
    fn addresses(self, case: &Case) -> [String; 2] {
        match self {
            Transport::ShmRing => [
                format!("shm-ring:@{}", case.unique("typed-to-parent")),
                format!("shm-ring:@{}", case.unique("typed-to-peer")),
            ],
            Transport::UnixStream => [
                format!("unix:{}", case.path("typed-to-parent.sock").display()),
                format!("unix:{}", case.path("typed-to-peer.sock").display()),
            ],
        }
    }
}

fn options() -> ChannelOptions {
    ChannelOptions::new().with_ring_capacity(CAPACITY)
}

/// Makes a row's endpoint from the two byte ends and the listener to keep.
type Make = fn(channel::Sender, channel::Receiver, channel::Listener) -> Box<dyn Endpoint>;

/// Parent: listens on the first address now; on connect accepts the peer, then connects to
/// the peer's listener. Peer: listens on the second, connects to the first, accepts. (A
/// `shm-ring:` connect returns once the other side accepted, so this order never waits on
/// itself.)
fn setup(transport: Transport, case: &Case, make: Make) -> anyhow::Result<Setup> {
    let [to_parent, to_peer] = transport.addresses(case);
    let mut listener = channel::listen_with(&to_parent.parse()?, &options())?;
    let args = vec![to_parent, to_peer.clone()];
    Ok(Setup::new(args, move || {
        let rx = listener.accept()?;
        let tx = channel::connect_with(&to_peer.parse()?, &options())?;
        Ok(make(tx, rx, listener))
    }))
}

fn peer(args: &[String], make: Make) -> anyhow::Result<Box<dyn Endpoint>> {
    let to_parent: Address = arg(args, 0, "address to the parent")?.parse()?;
    let to_peer: Address = arg(args, 1, "address to the peer")?.parse()?;
    let mut listener = channel::listen_with(&to_peer, &options())?;
    let tx = channel::connect_with(&to_parent, &options())?;
    let rx = listener.accept()?;
    Ok(make(tx, rx, listener))
}

/// The typed row: [`typed::Sender`] / [`typed::Receiver`] of [`Sample`].
pub struct Typed {
    /// The channel transport.
    pub transport: Transport,
}

/// The twin: the byte [`channel::Sender`] / [`channel::Receiver`] of the same transport.
pub struct Bytes {
    /// The channel transport.
    pub transport: Transport,
}

fn make_typed(
    tx: channel::Sender,
    rx: channel::Receiver,
    l: channel::Listener,
) -> Box<dyn Endpoint> {
    Box::new(TypedEnds {
        tx: typed::Sender::new(tx),
        rx: typed::Receiver::new(rx),
        out: Sample::from_bytes(&[]),
        _listener: l,
    })
}

fn make_bytes(
    tx: channel::Sender,
    rx: channel::Receiver,
    l: channel::Listener,
) -> Box<dyn Endpoint> {
    Box::new(ByteEnds {
        tx,
        rx,
        _listener: l,
    })
}

impl Scenario for Typed {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        setup(self.transport, case, make_typed)
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        peer(args, make_typed)
    }
}

impl Scenario for Bytes {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        setup(self.transport, case, make_bytes)
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        peer(args, make_bytes)
    }
}

struct TypedEnds {
    tx: typed::Sender<Sample>,
    rx: typed::Receiver<Sample>,
    /// The struct the sender fills for each message (as a sending loop would reuse one,
    /// rather than allocate a payload per message).
    out: Sample,
    /// Keeps the listener (its socket file or name) for the scenario's lifetime.
    _listener: channel::Listener,
}

impl Endpoint for TypedEnds {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        self.out.fill_from(msg);
        Ok(self.tx.send(&self.out)?)
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        self.rx.recv()?.write_to(buf);
        Ok(())
    }
}

struct ByteEnds {
    tx: channel::Sender,
    rx: channel::Receiver,
    _listener: channel::Listener,
}

impl Endpoint for ByteEnds {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        Ok(self.tx.send(msg)?)
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        self.rx.recv(buf)?;
        Ok(())
    }
}

/// What a harness message becomes: five fields a user's struct might have, lossless for
/// any bytes (a message shorter than the fixed fields, such as the end marker, travels
/// whole in `payload` with `kind` [`Kind::Short`]).
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct Sample {
    seq: u64,
    sensor: u32,
    kind: Kind,
    values: [u16; 4],
    payload: Bin,
}

/// The enum field of [`Sample`].
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub enum Kind {
    /// The message was shorter than the fixed fields: all of it is in `payload`.
    Short,
    /// Byte 12 of the message was 0.
    Plain,
    /// Byte 12 of the message, when not 0.
    Flagged(u8),
}

/// Bytes 0..8, 8..12, 12, 13..21: the fixed fields.
const FIXED: usize = 21;

impl Sample {
    /// The struct holding `msg` (the sender's work of building its message).
    pub fn from_bytes(msg: &[u8]) -> Sample {
        let mut s = Sample {
            seq: 0,
            sensor: 0,
            kind: Kind::Short,
            values: [0; 4],
            payload: Bin(Vec::new()),
        };
        s.fill_from(msg);
        s
    }

    /// Makes this struct hold `msg`, reusing the payload's allocation.
    pub fn fill_from(&mut self, msg: &[u8]) {
        self.payload.0.clear();
        if msg.len() < FIXED {
            (self.seq, self.sensor, self.kind, self.values) = (0, 0, Kind::Short, [0; 4]);
            self.payload.0.extend_from_slice(msg);
            return;
        }
        let word = |i: usize| u16::from_le_bytes([msg[13 + 2 * i], msg[14 + 2 * i]]);
        self.seq = u64::from_le_bytes(msg[0..8].try_into().expect("8 bytes"));
        self.sensor = u32::from_le_bytes(msg[8..12].try_into().expect("4 bytes"));
        self.kind = match msg[12] {
            0 => Kind::Plain,
            b => Kind::Flagged(b),
        };
        self.values = [word(0), word(1), word(2), word(3)];
        self.payload.0.extend_from_slice(&msg[FIXED..]);
    }

    /// Replaces the contents of `buf` with the bytes this struct was made from.
    pub fn write_to(&self, buf: &mut Vec<u8>) {
        buf.clear();
        if let Kind::Short = self.kind {
            buf.extend_from_slice(&self.payload.0);
            return;
        }
        buf.extend_from_slice(&self.seq.to_le_bytes());
        buf.extend_from_slice(&self.sensor.to_le_bytes());
        buf.push(match self.kind {
            Kind::Flagged(b) => b,
            _ => 0,
        });
        for v in self.values {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        buf.extend_from_slice(&self.payload.0);
    }
}

/// Bytes serialized as one MessagePack `bin` (serde's `serialize_bytes`), not an array of
/// integers (what a `Vec<u8>` is).
#[derive(Debug, PartialEq)]
pub struct Bin(Vec<u8>);

impl Serialize for Bin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Bin, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Bin;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bin, E> {
                Ok(Bin(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Bin, E> {
                Ok(Bin(v))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_carry_any_bytes_back() {
        for len in [0, 1, 20, 21, 22, 64, 4096] {
            let msg: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            let s = Sample::from_bytes(&msg);
            let mut enc = Vec::new();
            typed::encode_into::<_, typed::MsgPack>(&s, &mut enc).unwrap();
            if len == 64 {
                assert!((90..130).contains(&enc.len()), "{}", enc.len());
            }
            let back: Sample = typed::decode::<_, typed::MsgPack>(&enc).unwrap();
            let mut buf = vec![9];
            back.write_to(&mut buf);
            assert_eq!(buf, msg, "len {len}");
        }
    }
}
