//! Property tests (issue 10): the frame decoder fed any byte stream, split at any points,
//! yields exactly the encoded messages or a clear error and never holds a buffer above its
//! maximum; `Address` round-trips through `Display`/`FromStr`, and `FromStr` is total.

use std::io::Write;
use std::os::unix::net::UnixStream;

use ipckit::channel::{Address, FramedReceiver, HEADER_LEN};
use ipckit::ErrorKind;
use proptest::prelude::*;

fn encode(msgs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend_from_slice(&(m.len() as u32).to_le_bytes());
        out.extend_from_slice(m);
    }
    out
}

/// What the decoder must give: the messages before the first one above `max`, then
/// `TooLarge` if there is one; otherwise, for a stream cut after `cut` bytes, the whole
/// messages before the cut, then `PeerGone` (cut at a boundary) or `UnexpectedEof`.
fn expected(msgs: &[Vec<u8>], max: usize, cut: usize) -> (Vec<Vec<u8>>, ErrorKind) {
    let mut at = 0;
    let mut out = Vec::new();
    for m in msgs {
        if at == cut {
            return (out, ErrorKind::PeerGone);
        }
        if at + HEADER_LEN > cut {
            return (out, ErrorKind::UnexpectedEof);
        }
        if m.len() > max {
            return (out, ErrorKind::TooLarge);
        }
        if at + HEADER_LEN + m.len() > cut {
            return (out, ErrorKind::UnexpectedEof);
        }
        out.push(m.clone());
        at += HEADER_LEN + m.len();
    }
    (out, ErrorKind::PeerGone)
}

/// Feeds `stream` to a receiver in the chunks `splits` cuts it into, draining with
/// `try_recv` after each chunk, then closes and receives to the end.
fn decode(stream: &[u8], splits: &[usize], max: usize) -> (Vec<Vec<u8>>, ErrorKind) {
    let (mut a, b) = UnixStream::pair().unwrap();
    let mut rx = FramedReceiver::new(b).with_max_message(max);
    let mut buf = Vec::new();
    let mut got = Vec::new();
    let check = |rx: &FramedReceiver<UnixStream>, buf: &Vec<u8>| {
        assert!(
            rx.pending_capacity() <= max,
            "pending {} > max {max}",
            rx.pending_capacity()
        );
        assert!(buf.capacity() <= max, "buf {} > max {max}", buf.capacity());
    };
    let mut points: Vec<usize> = splits.iter().map(|s| s % (stream.len() + 1)).collect();
    points.push(stream.len());
    points.sort_unstable();
    let mut from = 0;
    for to in points {
        a.write_all(&stream[from..to]).unwrap();
        from = to;
        loop {
            match rx.try_recv(&mut buf) {
                Ok(n) => {
                    assert_eq!(n, buf.len());
                    got.push(buf.clone());
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => {
                    check(&rx, &buf);
                    return (got, e.kind());
                }
            }
            check(&rx, &buf);
        }
        check(&rx, &buf);
    }
    drop(a);
    loop {
        match rx.recv(&mut buf) {
            Ok(_) => got.push(buf.clone()),
            Err(e) => {
                check(&rx, &buf);
                // Sticky: the stream cannot be resynchronised.
                if e.kind() != ErrorKind::PeerGone {
                    assert_eq!(rx.recv(&mut buf).unwrap_err().kind(), e.kind());
                }
                return (got, e.kind());
            }
        }
        check(&rx, &buf);
    }
}

fn messages() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Whole streams and streams cut anywhere, split anywhere, any maximum.
    #[test]
    fn decoder_yields_the_messages_or_a_clear_error(
        msgs in messages(),
        max in 0usize..400,
        cut in any::<prop::sample::Index>(),
        whole in any::<bool>(),
        splits in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let stream = encode(&msgs);
        let cut = if whole { stream.len() } else { cut.index(stream.len() + 1) };
        let want = expected(&msgs, max, cut);
        let got = decode(&stream[..cut], &splits, max);
        prop_assert_eq!(got, want);
    }

    /// Arbitrary bytes: never a panic, only messages, `TooLarge`, `UnexpectedEof` or
    /// `PeerGone`, and never a buffer above the maximum.
    #[test]
    fn decoder_on_garbage_fails_cleanly(
        stream in prop::collection::vec(any::<u8>(), 0..600),
        max in 0usize..1000,
        splits in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let (got, end) = decode(&stream, &splits, max);
        prop_assert!(matches!(
            end,
            ErrorKind::TooLarge | ErrorKind::UnexpectedEof | ErrorKind::PeerGone
        ));
        prop_assert!(got.iter().all(|m| m.len() <= max));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// One large message (beyond the 64 KiB first reservation) split anywhere: the buffer
    /// grows with the bytes, never past the message or the maximum.
    #[test]
    fn large_message_split_anywhere(
        len in 65_000usize..150_000,
        splits in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let msg: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
        let stream = encode(std::slice::from_ref(&msg));
        let (got, end) = decode(&stream, &splits, len);
        prop_assert_eq!(got, vec![msg]);
        prop_assert_eq!(end, ErrorKind::PeerGone);
    }
}

fn name() -> impl Strategy<Value = String> {
    // "." and ".." are no POSIX names (and no path components worth generating).
    "[a-zA-Z0-9._-]{1,24}".prop_filter("not . or ..", |n| n != "." && n != "..")
}

/// Addresses in canonical form (what `Display` prints).
fn canonical_address() -> impl Strategy<Value = String> {
    fn path() -> impl Strategy<Value = String> {
        prop::collection::vec(name(), 1..4).prop_map(|p| format!("/{}", p.join("/")))
    }
    let unix_name = prop_oneof![path(), name().prop_map(|n| format!("@{n}"))];
    prop_oneof![
        path().prop_map(|p| format!("fifo:{p}")),
        (
            prop_oneof![Just("unix"), Just("unix-dgram"), Just("unix-seqpacket")],
            unix_name
        )
            .prop_map(|(s, n)| format!("{s}:{n}")),
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| format!("tcp:{}.{}.{}.{}:{port}", ip[0], ip[1], ip[2], ip[3])),
        (any::<[u16; 8]>(), any::<u16>())
            .prop_map(|(ip, port)| format!("tcp:[{}]:{port}", std::net::Ipv6Addr::from(ip))),
        (1u32..=0x7fff_ffff, prop_oneof![Just(0i64), 1i64..=i64::MAX]).prop_map(|(k, m)| {
            // 0 stands for "no type" (receive any).
            if m == 0 {
                format!("sysv-mq:{k:#010x}")
            } else {
                format!("sysv-mq:{k:#010x}:{m}")
            }
        }),
        name().prop_map(|n| format!("posix-mq:/{n}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn address_round_trips_through_display(text in canonical_address()) {
        let a: Address = text.parse().map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(a.to_string(), text.clone());
        let again: Address = a.to_string().parse().unwrap();
        prop_assert_eq!(again, a);
    }

    /// `FromStr` is total: any string gives an address or `InvalidInput`, never a panic;
    /// whatever it accepts prints as an address that parses back to the same value.
    #[test]
    fn address_from_str_never_panics(
        text in prop_oneof![
            any::<String>(),
            (
                prop_oneof![
                    Just("fifo:"), Just("unix:"), Just("unix-dgram:"), Just("unix-seqpacket:"),
                    Just("tcp:"), Just("sysv-mq:"), Just("sysv-mq:ftok:"), Just("posix-mq:"),
                    Just("shm-ring:"), Just("unix:@"),
                ],
                any::<String>(),
            )
                .prop_map(|(s, r)| format!("{s}{r}")),
        ]
    ) {
        match text.parse::<Address>() {
            Ok(a) => {
                let back: Address = a
                    .to_string()
                    .parse()
                    .map_err(|e| TestCaseError::fail(format!("{text:?} -> {a}: {e}")))?;
                prop_assert_eq!(back, a);
            }
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidInput),
        }
    }
}
