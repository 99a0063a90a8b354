//! The [`Codec`] trait and its two implementations, [`MsgPack`] and [`Postcard`], and the
//! pure functions [`encode_into`] and [`decode`] every typed layer (blocking or async) uses.

use std::cell::Cell;
use std::io::Cursor;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Error, ErrorKind, Result};

/// How a typed channel turns a value into one message and back.
///
/// A codec is a type without values (`MsgPack`, `Postcard`): a typed end names it as a type
/// parameter. Both methods work on whole messages: `encode_into` replaces the contents of a
/// buffer the caller reuses (so once it has grown to the message size, encoding allocates
/// nothing), `decode` takes exactly one message and rejects one that does not hold exactly
/// one value.
///
/// # Examples
/// ```
/// use ipckit::channel::typed::{Codec, MsgPack, Postcard};
/// let mut buf = Vec::new();
/// MsgPack::encode_into(&(1u8, "two"), &mut buf)?;
/// assert_eq!(buf, [0x92, 0x01, 0xa3, b't', b'w', b'o']); // fixarray 2, 1, fixstr "two"
/// assert_eq!(MsgPack::decode::<(u8, String)>(&buf)?, (1, "two".to_string()));
/// Postcard::encode_into(&(1u8, "two"), &mut buf)?;
/// assert_eq!(buf, [0x01, 0x03, b't', b'w', b'o']);
/// # Ok::<(), ipckit::Error>(())
/// ```
pub trait Codec {
    /// The codec's name, as error messages print it (`"MessagePack"`, `"postcard"`).
    const NAME: &'static str;

    /// Replaces the contents of `buf` with `value` encoded (the capacity of `buf` is kept
    /// and reused).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if the value cannot be encoded (a map with non-string
    /// keys is fine in MessagePack; postcard refuses sequences of unknown length, e.g. a
    /// `Serialize` impl that calls `serialize_seq(None)`), naming the type.
    fn encode_into<T: Serialize + ?Sized>(value: &T, buf: &mut Vec<u8>) -> Result<()>;

    /// Decodes one whole message into a `T`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidData`] if `bytes` is not one encoded `T`, or holds bytes after
    /// it; the error's object is the Rust type (`std::any::type_name::<T>()`) and its
    /// detail names the codec, the byte offset at which decoding failed and the message
    /// length.
    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T>;
}

/// Encodes `value` with codec `C` into `buf`, replacing its contents: what a
/// [`typed::Sender`](super::Sender) does before it sends.
///
/// # Errors
/// As [`Codec::encode_into`].
///
/// # Examples
/// ```
/// use ipckit::channel::typed::{self, MsgPack};
/// let mut buf = Vec::new();
/// typed::encode_into::<_, MsgPack>(&[1u16, 300], &mut buf)?;
/// assert_eq!(buf, [0x92, 0x01, 0xcd, 0x01, 0x2c]);
/// # Ok::<(), ipckit::Error>(())
/// ```
pub fn encode_into<T: Serialize + ?Sized, C: Codec>(value: &T, buf: &mut Vec<u8>) -> Result<()> {
    C::encode_into(value, buf)
}

/// Decodes one whole message with codec `C`: what a [`typed::Receiver`](super::Receiver)
/// does after it receives.
///
/// # Errors
/// As [`Codec::decode`]: [`ErrorKind::InvalidData`] naming the type and the byte offset.
///
/// # Examples
/// ```
/// use ipckit::channel::typed::{self, MsgPack};
/// assert_eq!(typed::decode::<Vec<u16>, MsgPack>(&[0x92, 0x01, 0xcd, 0x01, 0x2c])?, [1, 300]);
/// let e = typed::decode::<Vec<u16>, MsgPack>(&[0x92, 0x01, 0xa1, b'x']).unwrap_err();
/// assert_eq!(e.kind(), ipckit::ErrorKind::InvalidData);
/// assert_eq!(e.object(), "alloc::vec::Vec<u16>");
/// assert!(e.to_string().contains("at byte 3 of 4"), "{e}");
/// # Ok::<(), ipckit::Error>(())
/// ```
pub fn decode<T: DeserializeOwned, C: Codec>(bytes: &[u8]) -> Result<T> {
    C::decode(bytes)
}

/// The error for a message that is not one `T`: `InvalidData`, the type as its object.
fn invalid<T: ?Sized>(codec: &str, why: impl std::fmt::Display, at: usize, len: usize) -> Error {
    Error::new(ErrorKind::InvalidData, "decode", std::any::type_name::<T>()).with_detail(
        format_args!("{codec}: {why}, at byte {at} of {len} (the message was skipped)"),
    )
}

/// The error for a value that decoded but left bytes over.
fn trailing<T: ?Sized>(codec: &str, at: usize, len: usize) -> Error {
    invalid::<T>(
        codec,
        format_args!("{} trailing bytes after a whole value", len - at),
        at,
        len,
    )
}

/// MessagePack (<https://msgpack.org>) through rmp-serde: the default codec, which any
/// language's msgpack library reads and writes (Python: `msgpack.unpackb(payload)`).
///
/// # Encoding
/// Structs are encoded as **maps keyed by field name** (rmp-serde's `to_vec_named`
/// layout), so a Python peer gets a `dict`; tuples and tuple structs as arrays; a unit
/// enum variant as its name (a string), any other variant as a one-entry map
/// `{variant: value}`; `Vec<u8>` as an array of integers unless marked `#[serde(with =
/// "serde_bytes")]`; `Option::None` as nil. Decoding accepts a struct as a map (any field
/// order; unknown fields are ignored unless `#[serde(deny_unknown_fields)]`) or as an
/// array in field order.
///
/// # Offset in errors
/// The byte offset in a decoding error is how far rmp-serde had read when it failed (a
/// position-tracking cursor over the message): the failing item starts at or before it.
pub struct MsgPack;

impl Codec for MsgPack {
    const NAME: &'static str = "MessagePack";

    fn encode_into<T: Serialize + ?Sized>(value: &T, buf: &mut Vec<u8>) -> Result<()> {
        buf.clear();
        rmp_serde::encode::write_named(buf, value).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                "encode",
                std::any::type_name::<T>(),
            )
            .with_detail(format_args!("MessagePack: {e}"))
        })
    }

    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
        let mut de = rmp_serde::Deserializer::new(Cursor::new(bytes));
        let value = T::deserialize(&mut de);
        let at = usize::try_from(de.position()).unwrap_or(usize::MAX);
        match value {
            Ok(v) if at == bytes.len() => Ok(v),
            Ok(_) => Err(trailing::<T>(Self::NAME, at, bytes.len())),
            Err(e) => Err(invalid::<T>(Self::NAME, e, at, bytes.len())),
        }
    }
}

/// postcard (<https://postcard.jamesmunns.com>): compact (varint integers, no field names,
/// no type markers), for Rust peers only, both sides with the same type definition.
///
/// # Offset in errors
/// The byte offset in a decoding error is the number of bytes postcard had consumed when it
/// failed, counted by a flavor around the message slice: the failing item starts at or
/// before it (postcard reads whole varints and lengths before it checks them).
pub struct Postcard;

/// A postcard flavor over a slice that records how many bytes were consumed, where the
/// caller can still read it after an error.
struct Counting<'de> {
    rest: &'de [u8],
    consumed: &'de Cell<usize>,
}

impl<'de> postcard::de_flavors::Flavor<'de> for Counting<'de> {
    type Remainder = &'de [u8];
    type Source = &'de [u8];

    fn pop(&mut self) -> postcard::Result<u8> {
        let (&first, rest) = self
            .rest
            .split_first()
            .ok_or(postcard::Error::DeserializeUnexpectedEnd)?;
        self.rest = rest;
        self.consumed.set(self.consumed.get() + 1);
        Ok(first)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.rest.len())
    }

    fn try_take_n(&mut self, ct: usize) -> postcard::Result<&'de [u8]> {
        if ct > self.rest.len() {
            return Err(postcard::Error::DeserializeUnexpectedEnd);
        }
        let (taken, rest) = self.rest.split_at(ct);
        self.rest = rest;
        self.consumed.set(self.consumed.get() + ct);
        Ok(taken)
    }

    fn finalize(self) -> postcard::Result<&'de [u8]> {
        Ok(self.rest)
    }
}

impl Codec for Postcard {
    const NAME: &'static str = "postcard";

    fn encode_into<T: Serialize + ?Sized>(value: &T, buf: &mut Vec<u8>) -> Result<()> {
        let mut out = std::mem::take(buf);
        out.clear();
        *buf = postcard::to_extend(value, out).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                "encode",
                std::any::type_name::<T>(),
            )
            .with_detail(format_args!("postcard: {e}"))
        })?;
        Ok(())
    }

    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
        let consumed = Cell::new(0);
        let value = {
            let rest: &[u8] = bytes;
            let mut de = postcard::Deserializer::from_flavor(Counting {
                rest,
                consumed: &consumed,
            });
            T::deserialize(&mut de)
        };
        let at = consumed.get();
        match value {
            Ok(v) if at == bytes.len() => Ok(v),
            Ok(_) => Err(trailing::<T>(Self::NAME, at, bytes.len())),
            Err(e) => Err(invalid::<T>(Self::NAME, e, at, bytes.len())),
        }
    }
}
