//! The parent's measurement loops: latency (ping-pong with the peer's echo, into an HDR
//! histogram after a warm-up) and throughput (streaming, then the peer's count and time).

use std::time::Instant;

use anyhow::Context as _;
use hdrhistogram::Histogram;

use crate::common::end_marker;
use crate::plan::Budget;
use crate::protocol::ThroughputReport;
use crate::scenario::Endpoint;
use crate::stats::{thread_cpu_ns, Latency, Throughput};
use crate::verify::Pattern;

/// Why a phase did not give figures.
pub enum Failure {
    /// The data was wrong: lost, reordered or corrupted.
    Mismatch(String),
    /// The mechanism failed.
    Error(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Error(e)
    }
}

/// Parent side of the latency phase: ping-pong, then the end marker.
///
/// # Errors
/// An echo that differs from what was sent ([`Failure::Mismatch`]) or a mechanism error.
pub fn latency(ep: &mut dyn Endpoint, p: &Pattern, b: &Budget) -> Result<Latency, Failure> {
    // 1 ns to 100 s at 3 significant digits; anything slower is clamped to 100 s.
    let mut hist = Histogram::<u64>::new_with_bounds(1, 100_000_000_000, 3)
        .map_err(|e| anyhow::anyhow!("histogram: {e}"))?;
    let mut msg = p.buffer();
    let mut echo = Vec::with_capacity(p.size());
    let mut seq = 0u64;
    let start = Instant::now();
    let mut measuring_since = None;
    loop {
        let now = Instant::now();
        let measured = match measuring_since {
            None if seq >= b.warmup_max || now.duration_since(start) >= b.warmup => {
                measuring_since = Some(now);
                true
            }
            None => false,
            Some(since) => {
                if hist.len() >= b.latency_max
                    || (!hist.is_empty() && now.duration_since(since) >= b.latency)
                {
                    break;
                }
                true
            }
        };
        let dt = match ep.zero_copy() {
            // Zero copy: the message written in place, the echo verified in place.
            Some(zc) => {
                let mut bad = Ok(());
                let t0 = Instant::now();
                zc.send_in_place(p.size(), &mut |out| p.fill(seq, out))?;
                zc.recv_in_place(&mut |echo| bad = p.check(seq, echo))?;
                let dt = t0.elapsed();
                if let Err(m) = bad {
                    return Err(Failure::Mismatch(format!("echo: {m}")));
                }
                dt
            }
            None => {
                p.stamp(seq, &mut msg);
                let t0 = Instant::now();
                ep.send(&msg)?;
                ep.recv(&mut echo)?;
                let dt = t0.elapsed();
                if let Err(m) = p.check(seq, &echo) {
                    return Err(Failure::Mismatch(format!("echo: {m}")));
                }
                dt
            }
        };
        if measured {
            hist.saturating_record(dt.as_nanos().clamp(1, u64::MAX as u128) as u64);
        }
        seq += 1;
    }
    ep.send(end_marker(p.size()))?;
    Ok(Latency::from_hist(hist))
}

/// What the parent sent in the throughput phase.
pub struct Sent {
    /// Messages sent (the end marker aside).
    pub messages: u64,
    /// CPU time of the send loop, nanoseconds.
    pub cpu_ns: u64,
}

/// Parent side of the throughput phase: stream for the budget, then the end marker.
///
/// # Errors
/// A mechanism error.
pub fn stream(ep: &mut dyn Endpoint, p: &Pattern, b: &Budget) -> anyhow::Result<Sent> {
    let mut msg = p.buffer();
    let cpu0 = thread_cpu_ns();
    let start = Instant::now();
    let mut seq = 0u64;
    while seq < b.throughput_max && (seq < 2 || start.elapsed() < b.throughput) {
        match ep.zero_copy() {
            Some(zc) => zc
                .send_in_place(p.size(), &mut |out| p.fill(seq, out))
                .context("send in place")?,
            None => {
                p.stamp(seq, &mut msg);
                ep.send(&msg).context("send")?;
            }
        }
        seq += 1;
    }
    ep.send(end_marker(p.size())).context("send end marker")?;
    Ok(Sent {
        messages: seq,
        cpu_ns: thread_cpu_ns().saturating_sub(cpu0),
    })
}

/// The throughput figures of `size`-byte messages from what was sent and what the peer
/// reported; `Err` is why the phase failed (a verification failure, a lost message).
pub fn throughput(
    sent: &Sent,
    peer: &ThroughputReport,
    size: usize,
) -> (Throughput, Option<String>) {
    let error = match &peer.failure {
        Some(why) => Some(format!("throughput: {why}")),
        None if peer.count != sent.messages => Some(format!(
            "throughput: sent {} messages, the peer verified {}",
            sent.messages, peer.count
        )),
        None => None,
    };
    // Intervals between the first and the last arrival: count - 1 messages in `nanos`.
    let secs = (peer.nanos.max(1) as f64) / 1e9;
    let per_s = (peer.count.saturating_sub(1)) as f64 / secs;
    let t = Throughput {
        mb_per_s: per_s * size as f64 / 1e6,
        msgs_per_s: per_s,
        messages: peer.count,
        cpu_ns: sent.cpu_ns + peer.cpu_ns,
        cpu_messages: peer.count,
    };
    (t, error)
}

/// The message size of the memcpy baseline (1 MiB).
pub const MEMCPY_SIZE: usize = 1 << 20;

/// This CPU's memcpy bandwidth in MB/s (10^6 bytes/s) for `size`-byte copies between two
/// buffers: the best of five runs of `budget / 5` each (at least 3 copies per run).
pub fn memcpy_mb_per_s(size: usize, budget: std::time::Duration) -> f64 {
    let src = vec![0x5Au8; size];
    let mut dst = vec![0u8; size];
    dst.copy_from_slice(&src);
    let run = budget / 5;
    let mut best = 0f64;
    for _ in 0..5 {
        let start = Instant::now();
        let mut n = 0u64;
        while n < 3 || start.elapsed() < run {
            dst.copy_from_slice(std::hint::black_box(&src));
            std::hint::black_box(&mut dst);
            n += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        best = best.max(n as f64 * size as f64 / secs / 1e6);
    }
    best
}

/// The receiver's verification rate in MB/s: [`Pattern::check`] of one `size`-byte message
/// (sequence number, stamps, checksum over every byte), best of five runs of `budget / 5`.
/// With the copy out, it bounds what a receiving row can reach at large sizes.
pub fn check_mb_per_s(size: usize, budget: std::time::Duration) -> f64 {
    let p = Pattern::new(size);
    let msg = p.buffer();
    let run = budget / 5;
    let mut best = 0f64;
    for _ in 0..5 {
        let start = Instant::now();
        let mut n = 0u64;
        while n < 3 || start.elapsed() < run {
            let ok = p.check(0, std::hint::black_box(&msg)).is_ok();
            std::hint::black_box(ok);
            n += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        best = best.max(n as f64 * size as f64 / secs / 1e6);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(count: u64, failure: Option<&str>) -> ThroughputReport {
        ThroughputReport {
            count,
            nanos: 1_000_000_000,
            cpu_ns: 10,
            failure: failure.map(String::from),
        }
    }

    #[test]
    fn memcpy_bandwidth_is_positive() {
        let mb = memcpy_mb_per_s(4096, std::time::Duration::from_millis(5));
        assert!(mb > 0.0 && mb.is_finite());
        let mb = check_mb_per_s(4096, std::time::Duration::from_millis(5));
        assert!(mb > 0.0 && mb.is_finite());
    }

    #[test]
    fn throughput_counts_intervals_and_flags_losses() {
        let sent = Sent {
            messages: 101,
            cpu_ns: 5,
        };
        let (t, err) = throughput(&sent, &report(101, None), 1000);
        assert!(err.is_none());
        assert_eq!(t.msgs_per_s, 100.0);
        assert_eq!(t.mb_per_s, 0.1);
        assert_eq!(t.cpu_ns, 15);
        let (_, err) = throughput(&sent, &report(100, None), 1000);
        assert_eq!(
            err.as_deref(),
            Some("throughput: sent 101 messages, the peer verified 100")
        );
        let (_, err) = throughput(&sent, &report(101, Some("seq 2 bad")), 1000);
        assert_eq!(err.as_deref(), Some("throughput: seq 2 bad"));
    }
}
