//! The message the typed tests send: a struct with an enum and a `Vec`, its samples, and a
//! message per codec that does not decode as one.
//!
//! Self-contained (no `super::`): `interop/tests/msgpack.rs` includes this file with
//! `#[path]`, so that the Python MessagePack peer is checked against the same type.

use ipckit::channel::typed::{self, MsgPack, Postcard};
use serde::{Deserialize, Serialize};

/// An enum with a unit, a newtype and a struct variant (three MessagePack shapes).
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub enum Kind {
    Idle,
    Hot(u16),
    Cold { below: i8 },
}

/// The typed tests' message.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Reading {
    pub id: u32,
    pub sensor: String,
    pub kind: Kind,
    pub values: Vec<f64>,
    pub note: Option<String>,
}

/// The `i`th message of a run: every variant, `Vec`s of 0 to 6 values, notes on and off.
pub fn sample(i: u32) -> Reading {
    Reading {
        id: i,
        sensor: format!("sensor-{i}"),
        kind: match i % 3 {
            0 => Kind::Idle,
            1 => Kind::Hot(i as u16),
            _ => Kind::Cold {
                below: -(i as i8 & 0x3f),
            },
        },
        values: (0..i % 7).map(|v| f64::from(v) * 0.5).collect(),
        note: (i % 2 == 0).then(|| "even".to_string()),
    }
}

/// A message that is not a `Reading` in `codec` ("msgpack" or "postcard"), and the byte
/// offset its decode error must name.
pub fn garbage(codec: &str) -> (Vec<u8>, usize) {
    match codec {
        // A map of 5 entries, key "id", then 0xc1 (a marker MessagePack never uses): read up
        // to and including the bad marker.
        "msgpack" => (vec![0x85, 0xa2, b'i', b'd', 0xc1], 5),
        // id 1, a string of 5 bytes of which 1 is there: consumed 2 bytes when it failed.
        "postcard" => (vec![0x01, 0x05, b'a'], 2),
        other => panic!("codec {other}"),
    }
}

/// `value` encoded with `codec` ("msgpack" or "postcard").
pub fn encode(codec: &str, value: &Reading) -> Vec<u8> {
    let mut buf = Vec::new();
    match codec {
        "msgpack" => typed::encode_into::<_, MsgPack>(value, &mut buf).unwrap(),
        "postcard" => typed::encode_into::<_, Postcard>(value, &mut buf).unwrap(),
        other => panic!("codec {other}"),
    }
    buf
}
