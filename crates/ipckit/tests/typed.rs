//! `channel::typed` across real processes: one row per transport (a struct with an enum and
//! a `Vec`, both codecs), garbage then a good message, a sender killed inside a frame, the
//! reused buffers, and property tests of the codecs.
#![cfg(feature = "serde")]

mod common;

use std::io::Write;
use std::time::Duration;

use common::reading::{encode, garbage, sample, Kind, Reading};
use common::typed_rows::*;
use common::{run_peer, say, Live};
use ipckit::channel::typed::{self, Codec, MsgPack, Postcard};
use ipckit::channel::{self, Address};
use ipckit::ErrorKind;
use proptest::prelude::*;

const COUNT: u32 = 50;
const WAIT: Duration = Duration::from_secs(30);

fn send_all<C: Codec>(addr: &Address, n: u32) {
    let mut tx: typed::Sender<Reading, C> = typed::connect(addr).unwrap();
    for i in 0..n {
        tx.send(&sample(i)).unwrap();
    }
    say("sent");
    wait_for_stdin_eof();
}

#[test]
/// The peer-process entry point (see `common::run_peer`): run as a test, it checks that
/// this binary re-executed as a peer answers.
fn peer() {
    run_peer(|role, args| {
        let addr: Address = args[0].parse().expect("peer address");
        match role {
            "send_typed" => match args[1].as_str() {
                "msgpack" => send_all::<MsgPack>(&addr, COUNT),
                "postcard" => send_all::<Postcard>(&addr, COUNT),
                other => panic!("codec {other}"),
            },
            "send_garbage" => send_garbage(&addr, &args[1]),
            "send_partial" => {
                let mut tx = channel::connect_raw(&addr).unwrap();
                let good = encode("msgpack", &sample(1));
                tx.write_all(&(good.len() as u32).to_le_bytes()).unwrap();
                tx.write_all(&good).unwrap();
                let next = encode("msgpack", &sample(2));
                tx.write_all(&(next.len() as u32).to_le_bytes()).unwrap();
                tx.write_all(&next[..next.len() / 2]).unwrap();
                tx.flush().unwrap();
                say("partial");
                wait_for_stdin_eof();
            }
            "recv_count" => {
                let mut listener: typed::Listener<Reading> = typed::listen(&addr).unwrap();
                say(format!("ready {}", listener.address()));
                let mut rx = listener.accept_timeout(WAIT).unwrap();
                let n: u32 = args[1].parse().unwrap();
                let first = rx.recv_timeout(WAIT).unwrap();
                let warm = rx.buffer_capacity();
                for i in 1..n {
                    assert_eq!(rx.recv_timeout(WAIT).unwrap(), same_size(i, &first));
                }
                assert_eq!(rx.buffer_capacity(), warm, "receive buffer grew");
                say(format!("got {n}"));
            }
            other => panic!("unknown peer role {other}"),
        }
    });
}

/// Receives `COUNT` readings sent by a peer process with codec `C`, in order.
fn roundtrip<C: Codec>(addr: &Address, codec: &str) {
    let mut listener: typed::Listener<Reading, C> = typed::listen(addr).unwrap();
    let bound = listener.address().to_string();
    let peer = Live::spawn("send_typed", &[&bound, codec]);
    let mut rx = listener.accept_timeout(WAIT).unwrap();
    for i in 0..COUNT {
        assert_eq!(rx.recv_timeout(WAIT).unwrap(), sample(i), "{addr} {codec}");
    }
    peer.finish();
}

/// A message that does not decode, one with a byte too many, then a good one.
fn garbage_then_good<C: Codec>(addr: &Address, codec: &str) {
    let mut listener: typed::Listener<Reading, C> = typed::listen(addr).unwrap();
    let bound = listener.address().to_string();
    let peer = Live::spawn("send_garbage", &[&bound, codec]);
    let mut rx = listener.accept_timeout(WAIT).unwrap();
    let (bad, at) = garbage(codec);
    let e = rx.recv_timeout(WAIT).unwrap_err();
    eprintln!("{addr} {codec}: {e}");
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    assert_eq!(e.object(), std::any::type_name::<Reading>());
    let wanted = format!("at byte {at} of {}", bad.len());
    assert!(e.to_string().contains(&wanted), "{e}: wanted {wanted}");
    let e = rx.recv_timeout(WAIT).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    assert!(e.to_string().contains("1 trailing bytes"), "{e}");
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), sample(7));
    peer.finish();
}

/// One module per transport: both codecs' round trip, and garbage then a good message.
macro_rules! rows {
    ($($name:ident => $addr:expr,)*) => {$(
        mod $name {
            use super::*;

            fn addr() -> Address {
                $addr().parse().unwrap()
            }

            #[test]
            fn msgpack() {
                roundtrip::<MsgPack>(&addr(), "msgpack");
            }

            #[test]
            fn postcard() {
                roundtrip::<Postcard>(&addr(), "postcard");
            }

            #[test]
            fn garbage_msgpack() {
                garbage_then_good::<MsgPack>(&addr(), "msgpack");
            }

            #[test]
            fn garbage_postcard() {
                garbage_then_good::<Postcard>(&addr(), "postcard");
            }
        }
    )*};
}

rows! {
    fifo => fifo,
    unix_stream => unix,
    unix_stream_path => unix_path,
    unix_dgram => unix_dgram,
    unix_seqpacket => unix_seqpacket,
    tcp => tcp,
    sysv_mq => sysv_mq,
    posix_mq => posix_mq,
    shm_ring => shm_ring,
    shm_ring_path => shm_ring_path,
}

/// A sender killed inside a frame is `UnexpectedEof` on a byte stream, never a clean end.
fn killed_inside_frame(addr: &str) {
    let addr: Address = addr.parse().unwrap();
    let mut listener: typed::Listener<Reading> = typed::listen(&addr).unwrap();
    let bound = listener.address().to_string();
    let mut peer = Live::spawn("send_partial", &[&bound]);
    let mut rx = listener.accept_timeout(WAIT).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), sample(1));
    assert_eq!(peer.line(), "partial");
    peer.kill();
    let e = rx.recv_timeout(WAIT).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedEof, "{addr}: {e}");
}

#[test]
fn killed_sender_unix_is_unexpected_eof() {
    killed_inside_frame(&unix());
}

#[test]
fn killed_sender_tcp_is_unexpected_eof() {
    killed_inside_frame(&tcp());
}

#[test]
fn killed_sender_fifo_is_unexpected_eof() {
    killed_inside_frame(&fifo());
}

/// After warm-up, neither end's buffer grows: 1000 messages of one encoded size.
fn buffers_are_reused(addr: &str) {
    const N: u32 = 1000;
    let peer_addr: Address = addr.parse().unwrap();
    let mut peer = Live::spawn("recv_count", &[&peer_addr.to_string(), &N.to_string()]);
    let ready = peer.line();
    let bound: Address = ready.strip_prefix("ready ").unwrap().parse().unwrap();
    let mut tx: typed::Sender<Reading> = typed::connect(&bound).unwrap();
    let first = sample(1000);
    tx.send(&first).unwrap();
    let warm = tx.buffer_capacity();
    assert!(warm > 0);
    for i in 1..N {
        tx.send(&same_size(i, &first)).unwrap();
        assert_eq!(
            tx.buffer_capacity(),
            warm,
            "send buffer grew at message {i}"
        );
    }
    assert_eq!(peer.line(), format!("got {N}"));
    peer.finish();
}

/// A reading of the same encoded size as `first` with `i` in it (ids of 1000..=1999 are all
/// MessagePack uint16, as is 1000).
fn same_size(i: u32, first: &Reading) -> Reading {
    Reading {
        id: 1000 + i,
        ..first.clone()
    }
}

#[test]
fn buffers_are_reused_unix() {
    buffers_are_reused(&unix());
}

#[test]
fn buffers_are_reused_shm_ring() {
    buffers_are_reused(&shm_ring());
}

#[test]
fn msgpack_structs_are_maps_by_field_name() {
    let bytes = encode("msgpack", &sample(1));
    assert_eq!(bytes[0], 0x85, "a fixmap of 5 entries");
    assert_eq!(&bytes[1..4], b"\xa2id");
    // A struct sent as an array in field order decodes too.
    let mut arr = Vec::new();
    let value = (2u32, "s", "Idle", [0.5f64], None::<String>);
    MsgPack::encode_into(&value, &mut arr).unwrap();
    let got: Reading = typed::decode::<_, MsgPack>(&arr).unwrap();
    assert_eq!(got.kind, Kind::Idle);
    assert_eq!(got.values, [0.5]);
}

#[test]
fn offsets_name_the_failing_byte() {
    let e = typed::decode::<Vec<u16>, MsgPack>(&[0x93, 0x01, 0x02]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    assert!(e.to_string().contains("at byte 3 of 3"), "{e}");
    let e = typed::decode::<u8, Postcard>(&[]).unwrap_err();
    assert!(e.to_string().contains("at byte 0 of 0"), "{e}");
    let e = typed::decode::<u8, Postcard>(&[1, 2]).unwrap_err();
    assert!(e.to_string().contains("1 trailing bytes"), "{e}");
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Idle),
        any::<u16>().prop_map(Kind::Hot),
        any::<i8>().prop_map(|below| Kind::Cold { below }),
    ]
}

fn reading() -> impl Strategy<Value = Reading> {
    (
        any::<u32>(),
        ".{0,20}",
        kind(),
        proptest::collection::vec(
            any::<f64>().prop_filter("NaN != NaN", |v| !v.is_nan()),
            0..10,
        ),
        proptest::option::of(".{0,8}"),
    )
        .prop_map(|(id, sensor, kind, values, note)| Reading {
            id,
            sensor,
            kind,
            values,
            note,
        })
}

proptest! {
    #[test]
    fn msgpack_round_trips(r in reading()) {
        let mut buf = Vec::new();
        MsgPack::encode_into(&r, &mut buf).unwrap();
        prop_assert_eq!(MsgPack::decode::<Reading>(&buf).unwrap(), r);
    }

    #[test]
    fn postcard_round_trips(r in reading()) {
        let mut buf = Vec::new();
        Postcard::encode_into(&r, &mut buf).unwrap();
        prop_assert_eq!(Postcard::decode::<Reading>(&buf).unwrap(), r);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        for r in [MsgPack::decode::<Reading>(&bytes).err(), Postcard::decode::<Reading>(&bytes).err()]
            .into_iter()
            .flatten()
        {
            prop_assert_eq!(r.kind(), ErrorKind::InvalidData);
        }
    }

    #[test]
    fn truncated_messages_are_invalid_data(r in reading(), cut in 0usize..1000) {
        for bytes in [encode("msgpack", &r), encode("postcard", &r)] {
            let cut = cut % bytes.len();
            let m = MsgPack::decode::<Reading>(&bytes[..cut]);
            let p = Postcard::decode::<Reading>(&bytes[..cut]);
            for e in [m.err(), p.err()].into_iter().flatten() {
                prop_assert_eq!(e.kind(), ErrorKind::InvalidData);
            }
        }
    }
}
