//! Typed messages: send a `T: Serialize`, receive a `T: DeserializeOwned`, over every
//! transport of [`channel`](super). Needs feature **`serde`** (on by default; build with
//! `--no-default-features` for the byte channels alone).
//!
//! A [`Sender<T, C>`] encodes each value with the [`Codec`] `C` into a buffer it owns and
//! reuses, then sends those bytes as one message of the byte [`channel::Sender`](super::Sender);
//! a [`Receiver<T, C>`] receives one message into its own reused buffer and decodes it. So
//! once the buffers have grown to the largest message, sending and receiving allocate
//! nothing beyond what `T` itself holds (a `String`, a `Vec`). Everything the byte channel
//! guarantees holds: messages arrive whole, in order; a byte stream's end is
//! [`PeerGone`](crate::ErrorKind::PeerGone) between messages and
//! [`UnexpectedEof`](crate::ErrorKind::UnexpectedEof) inside one (a killed sender is an
//! error, never a clean end).
//!
//! # Which codec
//! | codec | use it when | wire format |
//! |---|---|---|
//! | [`MsgPack`] (default) | a peer is not Rust (Python, Go, JS…), or the type may grow fields | MessagePack; structs as maps keyed by field name |
//! | [`Postcard`] | both ends are Rust with the same types, and size matters | postcard: varints, no names, no markers |
//!
//! For a `#[repr(C)]` plain-old-data struct over the ring, with no encoding at all, see
//! the ring's own API instead.
//!
//! # Wire format
//! One value is one message of the byte channel: on byte streams (`fifo:`, `unix:`,
//! `tcp:`) a 4-byte little-endian length, then the encoded value; on message transports
//! (`unix-dgram:`, `unix-seqpacket:`, `posix-mq:`, `sysv-mq:`, `shm-ring:`) the encoded
//! value is the message. There is no type tag or version: both ends must agree on `T` and
//! `C`.
//!
//! # Bad messages
//! A message that does not decode as a `T`, or that decodes but leaves bytes over, is
//! [`ErrorKind::InvalidData`](crate::ErrorKind::InvalidData); the error's
//! [`object`](crate::Error::object) is `std::any::type_name::<T>()` and its detail names
//! the codec and the byte offset at which decoding failed. The message is consumed: the
//! next `recv` gets the next message. The same logic, without a channel, is [`decode`] and
//! [`encode_into`] (for other layers, such as an async one, to share).
//!
//! # A Python peer
//! With the `msgpack` package, over `unix:` (stream frames: 4-byte little-endian length,
//! then payload):
//!
//! ```python
//! import socket, struct, msgpack
//! s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
//! s.connect("\0my-name")                         # ipckit's unix:@my-name
//! def recv_exact(n):
//!     b = b""
//!     while len(b) < n:
//!         chunk = s.recv(n - len(b))
//!         if not chunk: raise EOFError
//!         b += chunk
//!     return b
//! (n,) = struct.unpack("<I", recv_exact(4))
//! reading = msgpack.unpackb(recv_exact(n))        # {'sensor': 'a', 'kind': 'Hot', ...}
//! payload = msgpack.packb({"sensor": "b", "kind": "Cold", "values": [1.5]})
//! s.sendall(struct.pack("<I", len(payload)) + payload)
//! ```
//!
//! # Examples
//! ```
//! use serde::{Deserialize, Serialize};
//! use ipckit::channel::{typed, Address};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! enum Kind { Hot, Cold { below: i8 } }
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Reading { sensor: String, kind: Kind, values: Vec<f32> }
//!
//! let addr: Address = format!("unix:@ipckit-doc-typed-{}", std::process::id()).parse()?;
//! let mut listener: typed::Listener<Reading> = typed::listen(&addr)?;
//! let mut tx: typed::Sender<Reading> = typed::connect(&addr)?; // MsgPack: the default
//! let sent = Reading { sensor: "a".into(), kind: Kind::Cold { below: -3 }, values: vec![1.5] };
//! tx.send(&sent)?;
//! let mut rx = listener.accept()?;
//! assert_eq!(rx.recv()?, sent);
//! # Ok::<(), ipckit::Error>(())
//! ```

mod codec;
mod ends;

pub use codec::{decode, encode_into, Codec, MsgPack, Postcard};
pub use ends::{connect, connect_with, listen, listen_with, Listener, Receiver, Sender};
