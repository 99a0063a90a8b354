//! The [`Codec`] trait and its two implementations, [`MsgPack`] and [`Postcard`], and the
//! pure functions [`encode_into`] and [`decode`] every typed layer (blocking or async) uses.

use std::io::Cursor;

use serde::de::{Deserialize, IgnoredAny};
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

    /// Decodes one whole message into a `T`, which may borrow from `bytes` (a `&str`, a
    /// `&[u8]` with `#[serde(borrow)]`/`serde_bytes`) or own its contents (any
    /// `DeserializeOwned` type).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidData`] if `bytes` is not one encoded `T`, or holds bytes after
    /// it; the error's object is the Rust type (`std::any::type_name::<T>()`) and its
    /// detail names the codec, the byte offset at which decoding failed and the message
    /// length.
    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T>;
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
/// does after it receives. `T` may borrow from `bytes` (no copy of a string or a byte
/// payload) or own its contents.
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
/// // Borrowed: the &str points into the message.
/// let msg = [0x92, 0x07, 0xa2, b'h', b'i'];
/// assert_eq!(typed::decode::<(u8, &str), MsgPack>(&msg)?, (7, "hi"));
/// # Ok::<(), ipckit::Error>(())
/// ```
pub fn decode<'de, T: Deserialize<'de>, C: Codec>(bytes: &'de [u8]) -> Result<T> {
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
/// position-tracking cursor over the message, taken only for a message that failed: a good
/// one is decoded straight from the slice): the failing item starts at or before it.
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

    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
        // Fast path: straight from the slice (strings and bytes borrowed, no reader buffer,
        // no allocation of rmp-serde's own), then a probe that must find the end of the
        // message. rmp-serde does not say how far a slice deserializer got, so a failure or
        // bytes left over go the slow way below, for the offset.
        let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
        if let Ok(v) = T::deserialize(&mut de) {
            match IgnoredAny::deserialize(&mut de) {
                Err(rmp_serde::decode::Error::InvalidMarkerRead(e))
                    if e.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    return Ok(v)
                }
                _ => {}
            }
        }
        Self::decode_tracked(bytes)
    }
}

impl MsgPack {
    /// The slow path of [`Codec::decode`]: through a position-tracking cursor, which copies
    /// every string and byte string into rmp-serde's buffer but knows the offset.
    #[cold]
    fn decode_tracked<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
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
/// failed (what its slice flavor has left, subtracted from the length): the failing item
/// starts at or before it (postcard reads whole varints and lengths before it checks them).
pub struct Postcard;

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

    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
        let mut de = postcard::Deserializer::from_bytes(bytes);
        let value = T::deserialize(&mut de);
        // What is left of the slice (postcard's slice flavor does not advance on a failed
        // read), so the offset also after an error.
        let at = bytes.len() - de.finalize().map_or(0, <[u8]>::len);
        match value {
            Ok(v) if at == bytes.len() => Ok(v),
            Ok(_) => Err(trailing::<T>(Self::NAME, at, bytes.len())),
            Err(e) => Err(invalid::<T>(Self::NAME, e, at, bytes.len())),
        }
    }
}
