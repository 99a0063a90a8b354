//! The `zenoh:` transport through the library API, against `ipckit recv`/`ipckit send` in
//! other processes (zenoh peers found by scouting on this machine's loopback): bytes and
//! typed messages, wildcards, the refusals (a wildcard sender, a message above the maximum,
//! no subscriber within the match timeout), `?locality=remote` (this session left out).
//!
//! Needs the `ipckit` binary built with the feature (`cargo build -p ipckit-cli --features
//! zenoh`).
#![cfg(feature = "zenoh")]

use std::time::{Duration, Instant};

use ipckit::channel::{self, typed, Address, ChannelOptions, ZenohCongestion, ZenohLocality};
use ipckit::ErrorKind;
use ipckit_testkit::{assert_ok, ipckit, Running};

fn key(tag: &str) -> String {
    format!("ipckit/chan{}/{tag}", std::process::id())
}

#[test]
fn bytes_to_ipckit_recv_in_another_process() {
    let k = key("bytes");
    let rx = Running::recv(&[&format!("zenoh:{k}"), "--count", "3"]);
    let mut tx = channel::connect(&format!("zenoh:{k}").parse().unwrap()).unwrap();
    for m in [&b"one"[..], b"", b"three"] {
        tx.send(m).unwrap();
    }
    drop(tx); // closes the session: flushes
    assert_eq!(rx.output(), b"one\n\nthree\n");
}

#[test]
fn typed_and_wildcards_from_ipckit_send() {
    let addr: Address = format!("zenoh:{}", key("typed/**")).parse().unwrap();
    let mut listener = channel::listen(&addr).unwrap();
    let mut rx = typed::Receiver::<u8>::new(listener.accept().unwrap());
    // `ipckit send` sends bytes: one ASCII byte is a MessagePack positive fixint.
    for (leaf, byte) in [("a", "A"), ("b/c", "B")] {
        let to = format!("zenoh:{}/{leaf}", key("typed"));
        assert_ok(&ipckit(&["send", &to, byte]));
    }
    for want in [b'A', b'B'] {
        assert_eq!(rx.recv_timeout(Duration::from_secs(20)).unwrap(), want);
    }
}

#[test]
fn refusals() {
    let wild: Address = format!("zenoh:{}", key("*")).parse().unwrap();
    let e = channel::connect(&wild).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");

    let lonely: Address = format!("zenoh:{}", key("nobody")).parse().unwrap();
    let opts = ChannelOptions::new().with_zenoh_match_timeout(Duration::from_millis(300));
    let mut tx = channel::connect_with(&lonely, &opts).unwrap();
    let t = Instant::now();
    let e = tx.send(b"lost?").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert!(e.to_string().contains("nothing was sent"), "{e}");

    let small = ChannelOptions::new().with_max_message(4);
    let mut tx = channel::connect_with(&lonely, &small).unwrap();
    assert_eq!(tx.send(b"12345").unwrap_err().kind(), ErrorKind::TooLarge);
}

#[test]
fn drop_mode_is_an_address_option() {
    let k = key("drop");
    let addr: Address = format!("zenoh:{k}?congestion=drop").parse().unwrap();
    assert!(matches!(
        addr,
        Address::Zenoh {
            congestion: ZenohCongestion::Drop,
            ..
        }
    ));
    let rx = Running::recv(&[&format!("zenoh:{k}"), "--count", "1"]);
    let mut tx = channel::connect(&addr).unwrap();
    tx.send(b"best effort").unwrap();
    drop(tx);
    assert_eq!(rx.output(), b"best effort\n");
}

#[test]
fn locality_remote_ignores_this_process_session() {
    let k = key("locality");
    let any: Address = format!("zenoh:{k}").parse().unwrap();
    let remote: Address = format!("zenoh:{k}?locality=remote").parse().unwrap();
    assert!(matches!(
        remote,
        Address::Zenoh {
            locality: ZenohLocality::Remote,
            ..
        }
    ));
    // One session in this process: a subscriber and publishers on one key.
    let mut mine = channel::listen(&remote).unwrap();
    let mut rx_mine = mine.accept().unwrap();
    let opts = ChannelOptions::new().with_zenoh_match_timeout(Duration::from_millis(300));
    // A remote-only publisher is not matched by this session's own subscriber (zenoh's
    // matching status honours the destination), so it does not claim to have sent.
    let mut tx = channel::connect_with(&remote, &opts).unwrap();
    let e = tx.send(b"to nobody").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
    // An ordinary publisher in this session matches it, but a remote-only subscriber does
    // not take this session's samples.
    let mut local = channel::listen(&any).unwrap();
    let mut rx_local = local.accept().unwrap();
    let mut tx_any = channel::connect_with(&any, &opts).unwrap();
    tx_any.send(b"local").unwrap();
    let mut buf = Vec::new();
    rx_local
        .recv_timeout(&mut buf, Duration::from_secs(20))
        .unwrap();
    assert_eq!(buf, b"local");
    let e = rx_mine
        .recv_timeout(&mut buf, Duration::from_millis(300))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
    // Another process's sample reaches both subscribers.
    assert_ok(&ipckit(&["send", &format!("zenoh:{k}"), "remote"]));
    for rx in [&mut rx_mine, &mut rx_local] {
        rx.recv_timeout(&mut buf, Duration::from_secs(20)).unwrap();
        assert_eq!(buf, b"remote");
    }
    // And another process's subscriber makes the remote-only publisher send.
    let far = Running::recv(&[&format!("zenoh:{k}"), "--count", "1"]);
    let mut tx = channel::connect_with(&remote, &ChannelOptions::new()).unwrap();
    tx.send(b"far").unwrap();
    drop(tx);
    assert_eq!(far.output(), b"far\n");
}
