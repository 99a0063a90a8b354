//! The control protocol between the parent and its peer: typed messages, one JSON object per
//! line, over the peer's stdin ([`ToPeer`]) and stdout ([`FromPeer`]). These pipes belong to
//! the harness, never to the mechanism being measured.
//!
//! A scenario's conversation:
//!
//! 1. parent to peer: [`ToPeer::Plan`] (what to run; the peer pins itself and sets up);
//! 2. peer to parent: [`FromPeer::Ready`] once its side of the mechanism is open;
//! 3. the latency phase on the mechanism, then [`FromPeer::Latency`];
//! 4. the throughput phase on the mechanism, then [`FromPeer::Throughput`].
//!
//! A line that is not one of these messages is an error naming what was received.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::registry::Mech;
use crate::scenario::{Case, Impl};

/// The subcommand by which the benchmark re-executes its own program as the peer: the
/// program must run [`peer_main`](crate::peer_main) for it.
pub const PEER_SUBCOMMAND: &str = "__bench-peer";

/// A way for the peer to misbehave on purpose, for the tests that prove a bad transfer
/// fails the row and a dead peer never hangs the run (`ipckit bench --fault ...`, hidden).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Exit with an error before setting up.
    Exit,
    /// Flip a bit in the first echo of the latency phase.
    CorruptEcho,
    /// Flip a bit in the first message of the throughput phase.
    CorruptStream,
    /// Skip the first message of the throughput phase, as if it were lost.
    DropStream,
}

/// What the peer is to run: one scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerPlan {
    /// The mechanism.
    pub mech: Mech,
    /// ipckit or raw.
    pub imp: Impl,
    /// Message size in bytes.
    pub size: usize,
    /// The run's private directory.
    pub dir: PathBuf,
    /// Scenario number.
    pub id: u32,
    /// The parent's pid.
    pub parent: u32,
    /// CPU to pin to, if any.
    pub cpu: Option<usize>,
    /// Misbehave on purpose (tests only).
    pub fault: Option<Fault>,
    /// The mechanism's own arguments (see [`Setup::args`](crate::scenario::Setup::args)).
    pub args: Vec<String>,
}

impl PeerPlan {
    /// The scenario as both sides see it.
    pub fn case(&self) -> Case {
        Case {
            imp: self.imp,
            size: self.size,
            dir: self.dir.clone(),
            id: self.id,
            parent: self.parent,
        }
    }
}

/// Parent to peer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ToPeer {
    /// Run this scenario.
    Plan(PeerPlan),
}

/// What the peer measured in the throughput phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThroughputReport {
    /// Messages received (and checked) before the end marker.
    pub count: u64,
    /// Nanoseconds between the first and the last arrival.
    pub nanos: u64,
    /// CPU time of the peer's receive loop, nanoseconds.
    pub cpu_ns: u64,
    /// The first verification failure, if any (then the row fails).
    pub failure: Option<String>,
}

/// Peer to parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FromPeer {
    /// The peer's side of the mechanism is open.
    Ready,
    /// The latency phase ended: messages echoed and the CPU time of the echo loop.
    Latency {
        /// Messages echoed (warm-up included).
        round_trips: u64,
        /// CPU time of the peer's echo loop, nanoseconds.
        cpu_ns: u64,
    },
    /// The throughput phase ended.
    Throughput(ThroughputReport),
}

/// Writes `msg` as one line and flushes.
///
/// # Errors
/// The write failed (the other side is gone).
pub fn send<T: Serialize>(w: &mut impl Write, msg: &T) -> anyhow::Result<()> {
    let mut line = serde_json::to_vec(msg).context("encoding a control message")?;
    line.push(b'\n');
    w.write_all(&line).context("writing a control message")?;
    w.flush().context("writing a control message")
}

/// Reads one message; `Ok(None)` at end of stream.
///
/// # Errors
/// The read failed, or the line is not a `T`: the error quotes the line.
pub fn recv<T: DeserializeOwned>(r: &mut impl BufRead) -> anyhow::Result<Option<T>> {
    let mut line = String::new();
    if r.read_line(&mut line)
        .context("reading a control message")?
        == 0
    {
        return Ok(None);
    }
    let line = line.trim_end();
    serde_json::from_str(line)
        .map(Some)
        .with_context(|| format!("malformed control message {line:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_one_per_line() {
        let msgs = [
            FromPeer::Ready,
            FromPeer::Latency {
                round_trips: 7,
                cpu_ns: 1234,
            },
            FromPeer::Throughput(ThroughputReport {
                count: 300,
                nanos: 99,
                cpu_ns: 5,
                failure: Some("seq 2: got 3\nsecond line".into()),
            }),
        ];
        let mut wire = Vec::new();
        for m in &msgs {
            send(&mut wire, m).unwrap();
        }
        assert_eq!(wire.iter().filter(|&&b| b == b'\n').count(), msgs.len());
        let mut r = std::io::Cursor::new(wire);
        for m in &msgs {
            assert_eq!(recv::<FromPeer>(&mut r).unwrap().as_ref(), Some(m));
        }
        assert_eq!(recv::<FromPeer>(&mut r).unwrap(), None);
    }

    #[test]
    fn a_plan_round_trips_with_its_fault() {
        let plan = PeerPlan {
            mech: Mech::UnixStream,
            imp: Impl::Raw,
            size: 64,
            dir: "/tmp/x".into(),
            id: 3,
            parent: 42,
            cpu: Some(1),
            fault: Some(Fault::DropStream),
            args: vec!["fd:5".into()],
        };
        let mut wire = Vec::new();
        send(&mut wire, &ToPeer::Plan(plan)).unwrap();
        let text = String::from_utf8(wire.clone()).unwrap();
        assert!(
            text.contains("\"unix-stream\"") && text.contains("\"drop-stream\""),
            "{text}"
        );
        let ToPeer::Plan(back) = recv::<ToPeer>(&mut std::io::Cursor::new(wire))
            .unwrap()
            .unwrap();
        assert_eq!(back.mech, Mech::UnixStream);
        assert_eq!(back.fault, Some(Fault::DropStream));
        assert_eq!(back.args, ["fd:5"]);
    }

    #[test]
    fn a_malformed_message_is_an_error_naming_it() {
        let mut r = std::io::Cursor::new(b"tp 3 4 5 ok\n".to_vec());
        let err = recv::<FromPeer>(&mut r).unwrap_err();
        assert!(format!("{err:#}").contains("\"tp 3 4 5 ok\""), "{err:#}");
    }
}
