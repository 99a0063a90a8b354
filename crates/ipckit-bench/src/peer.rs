//! The peer's main: read the plan from the control pipe, open the peer's side of the
//! mechanism, echo the latency phase, receive and verify the throughput phase, and report
//! each phase over the control pipe.

use std::io::BufReader;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context as _};

use crate::args::PeerArgs;
use crate::common::is_end;
use crate::plan::pin;
use crate::protocol::{self, Fault, FromPeer, ThroughputReport, ToPeer};
use crate::stats::thread_cpu_ns;
use crate::verify::Pattern;

/// Runs the hidden peer subcommand: the peer side of one scenario, whose plan arrives on
/// stdin as a [`ToPeer::Plan`].
///
/// # Errors
/// A malformed plan, a failed setup, or a mechanism error (a verification failure is not an
/// error: it is reported to the parent).
pub fn peer_main(_args: PeerArgs) -> anyhow::Result<ExitCode> {
    // Die with the parent, whatever happens to it.
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .context("prctl PR_SET_PDEATHSIG")?;
    let mut control = BufReader::new(std::io::stdin().lock());
    let plan = match protocol::recv::<ToPeer>(&mut control)? {
        Some(ToPeer::Plan(plan)) => plan,
        None => bail!("no plan on the control pipe (stdin): this subcommand is started by `bench`"),
    };
    if let Some(cpu) = plan.cpu {
        pin(cpu).context("sched_setaffinity (pinning the bench peer)")?;
    }
    let m = plan.mech.mechanism();
    let case = plan.case();
    let fault = plan.fault;
    if fault == Some(Fault::Exit) {
        bail!("exiting before setup (--fault exit)");
    }
    let mut ep = m
        .scenario(case.imp)
        .peer(&case, &plan.args)
        .context("peer setup")?;
    let mut out = std::io::stdout().lock();
    protocol::send(&mut out, &FromPeer::Ready)?;
    let size = case.size;
    // Latency: echo until the end marker. With a fault, the peer corrupts its first echo:
    // under load a round may end after a single round trip, and a fault that waited for a
    // later one would then never strike (the row would pass with the fault unseen).
    let mut buf = Vec::with_capacity(size);
    let mut echoed = 0u64;
    let cpu0 = thread_cpu_ns();
    let corrupt_echo = |echoed: u64, buf: &mut [u8]| {
        if fault == Some(Fault::CorruptEcho) && echoed == 1 {
            let at = buf.len() / 2;
            buf[at] ^= 0x01;
        }
    };
    if let Some(zc) = ep.zero_copy() {
        // Zero copy: each record copied straight from the incoming ring to the outgoing one.
        while zc
            .echo_in_place(size, &mut |out| corrupt_echo(echoed + 1, out))
            .context("latency echo in place")?
        {
            echoed += 1;
        }
    } else {
        loop {
            ep.recv(&mut buf).context("latency recv")?;
            if is_end(&buf, size) {
                break;
            }
            echoed += 1;
            corrupt_echo(echoed, &mut buf);
            ep.send(&buf).context("latency echo")?;
        }
    }
    let latency = FromPeer::Latency {
        round_trips: echoed,
        cpu_ns: thread_cpu_ns().saturating_sub(cpu0),
    };
    protocol::send(&mut out, &latency)?;
    // Throughput: receive and verify until the end marker. With a fault, the peer corrupts
    // or drops its first message (the parent always sends at least two, so a dropped first
    // one puts the next out of sequence, and the count differs from what was sent).
    let p = Pattern::new(size);
    let mut count = 0u64;
    let mut first = None;
    let mut last = Instant::now();
    let mut failure: Option<String> = None;
    let cpu0 = thread_cpu_ns();
    // One received message, wherever it lies: false at the end marker.
    let mut take = |msg: &[u8]| -> bool {
        let now = Instant::now();
        if is_end(msg, size) {
            return false;
        }
        first.get_or_insert(now);
        last = now;
        if fault == Some(Fault::DropStream) && count == 0 {
            // Pretend this message never arrived: the next one is out of sequence.
            return true;
        }
        let checked = if fault == Some(Fault::CorruptStream) && count == 0 {
            let mut bad = msg.to_vec();
            let at = bad.len() - 1;
            bad[at] ^= 0x80;
            p.check(count, &bad)
        } else {
            p.check(count, msg)
        };
        if failure.is_none() {
            if let Err(e) = checked {
                failure = Some(e.0.replace('\n', " "));
            }
        }
        count += 1;
        true
    };
    if let Some(zc) = ep.zero_copy() {
        // Zero copy: every message verified in place, never copied out.
        let mut more = true;
        while more {
            zc.recv_in_place(&mut |msg| more = take(msg))
                .context("throughput recv in place")?;
        }
    } else {
        loop {
            ep.recv(&mut buf).context("throughput recv")?;
            if !take(&buf) {
                break;
            }
        }
    }
    let cpu_ns = thread_cpu_ns().saturating_sub(cpu0);
    let nanos = first.map_or(0, |f| last.duration_since(f).as_nanos() as u64);
    let report = ThroughputReport {
        count,
        nanos,
        cpu_ns,
        failure,
    };
    protocol::send(&mut out, &FromPeer::Throughput(report))?;
    Ok(ExitCode::SUCCESS)
}
