//! ipckit's typed channels (MessagePack, the default codec) against Python's `msgpack`
//! package: Python reads what a `typed::Sender` sends over `unix:@…` (stream frames: a 4-byte
//! little-endian length, then the payload; see `interop/peers/msgpack_peer.py`) and sends
//! messages back that a `typed::Receiver` decodes; both sides compared field by field.
#![cfg(feature = "msgpack")]

use std::time::Duration;

use ipckit::channel::{typed, Address};
use ipckit_interop::{have_python_module, Py};
use ipckit_testkit::unique;
use serde_json::{json, Value};

/// The message type of ipckit's own typed suites (a file with no other dependency on them):
/// so the Python peer is checked against the very type those suites send.
#[path = "../../crates/ipckit/tests/common/reading.rs"]
#[allow(dead_code)]
mod reading;
use reading::{Kind, Reading};

const LONG: Duration = Duration::from_secs(30);

fn readings() -> Vec<Reading> {
    vec![
        Reading {
            id: 1,
            sensor: "north".into(),
            kind: Kind::Idle,
            values: vec![],
            note: None,
        },
        Reading {
            id: 70_000,
            sensor: "süd".into(),
            kind: Kind::Hot(451),
            values: vec![0.5, -1.25, 1e300],
            note: Some("hot".into()),
        },
        Reading {
            id: 3,
            sensor: "east".into(),
            kind: Kind::Cold { below: -7 },
            values: vec![2.0],
            note: Some(String::new()),
        },
    ]
}

/// What Python's `json.dumps` of the decoded map must be: a unit variant as its name, other
/// variants as `{variant: value}`, `None` as null.
fn as_python_sees_it(r: &Reading) -> Value {
    let kind = match &r.kind {
        Kind::Idle => json!("Idle"),
        Kind::Hot(t) => json!({ "Hot": t }),
        Kind::Cold { below } => json!({ "Cold": { "below": below } }),
    };
    json!({ "id": r.id, "sensor": r.sensor, "kind": kind, "values": r.values, "note": r.note })
}

#[test]
fn typed_messages_both_ways_with_python_msgpack() {
    if !have_python_module("msgpack") {
        return;
    }
    let script = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/peers/msgpack_peer.py"
    ))
    .expect("read the peer script");
    let to_py = unique("msgpack-to-py");
    let from_py = unique("msgpack-from-py");
    let back: Address = format!("unix:@{from_py}").parse().unwrap();
    let mut listener: typed::Listener<Reading> = typed::listen(&back).unwrap();
    let sent = readings();
    let count = sent.len().to_string();
    let mut py = Py::start("msgpack", &script, &[&to_py, &from_py, &count]);
    assert_eq!(py.line(), "ready");

    let mut tx: typed::Sender<Reading> =
        typed::connect(&format!("unix:@{to_py}").parse().unwrap()).unwrap();
    for r in &sent {
        tx.send(r).unwrap();
    }
    for r in &sent {
        let line = py.line();
        let seen: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let want = as_python_sees_it(r);
        for (field, value) in want.as_object().unwrap() {
            assert_eq!(
                &seen[field], value,
                "field {field} of {r:?}: python saw {line}"
            );
        }
        assert_eq!(seen.as_object().unwrap().len(), 5, "{line}");
    }
    drop(tx);

    let mut rx = listener.accept_timeout(LONG).unwrap();
    for r in &sent {
        let got = rx.recv_timeout(LONG).unwrap();
        let want = Reading {
            id: r.id + 1000,
            sensor: r.sensor.to_uppercase(),
            ..r.clone()
        };
        assert_eq!(got.id, want.id);
        assert_eq!(got.sensor, want.sensor);
        assert_eq!(got.kind, want.kind);
        assert_eq!(got.values, want.values);
        assert_eq!(got.note, want.note);
    }
    let own = rx.recv_timeout(LONG).unwrap();
    assert_eq!(
        own,
        Reading {
            id: 4242,
            sensor: "from-python".into(),
            kind: Kind::Cold { below: -40 },
            values: vec![],
            note: None,
        }
    );
    // Python closed its connection after its last message: a clean end.
    let e = rx.recv_timeout(LONG).unwrap_err();
    assert_eq!(e.kind(), ipckit::ErrorKind::PeerGone, "{e}");
    assert_eq!(py.finish(), ["done"]);
}
