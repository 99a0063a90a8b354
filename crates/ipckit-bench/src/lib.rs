//! The benchmark behind `ipckit bench`: latency and throughput of every Unix IPC mechanism
//! between two real processes, each beside its raw libc twin.
//!
//! A library with a thin binary (ripgrep style): the `ipckit` CLI parses [`Args`] and calls
//! [`run`]; the peer of each scenario is the same binary re-executed as the hidden
//! [`PEER_SUBCOMMAND`], which calls [`peer_main`].
//!
//! For each mechanism ([`registry`]), message size and implementation (ipckit, then its raw
//! libc twin in [`raw`]) the harness:
//!
//! - starts the peer by re-executing this program ([`std::env::current_exe`]), parent pinned
//!   to one CPU and peer to another when the machine has two, and hands it its plan over the
//!   typed control protocol ([`protocol`]);
//! - latency: after a warm-up, sends a message and waits for the peer's echo, over and over
//!   for a time budget (capped in count), recording each round trip in an HDR histogram;
//!   every echo is checked against what was sent ([`measure`]);
//! - throughput: streams messages one way for a time budget; the peer checks the sequence
//!   number and checksum of each ([`verify`]) and reports count and time ([`peer`]);
//! - runs several rounds per scenario, ipckit and raw alternating (ABBA), merged in
//!   [`stats`];
//! - tabulates p50/p99/p99.9/max round trip, MB/s (10^6 bytes/s) and msg/s, and the ratio
//!   ipckit/raw; writes JSON, CSV and an SVG chart on request ([`report`], [`svg`]).
//!
//! A lost, reordered or corrupted message makes the row FAILED and the exit status non-zero.
//! A scenario that hangs is stopped by the [`watchdog`]. How a mechanism plugs in is
//! described in [`scenario`].
//!
//! # Module map
//!
//! [`args`] (flags) and [`plan`] (budgets, CPUs, the run directory); [`protocol`] (the typed
//! parent–peer messages); [`parent`] (one scenario, parent side) and [`peer`] (the peer's
//! main); [`watchdog`]; [`measure`] (the loops); [`stats`]; [`report`] and [`svg`]; [`verify`]; and the
//! mechanisms: [`scenario`] (the trait), [`registry`] (the list), [`mech`] (ipckit), [`raw`]
//! (libc twins, the only `unsafe`), [`common`] (what both twins share).

pub mod args;
pub mod common;
pub mod measure;
pub mod mech;
pub mod parent;
pub mod peer;
pub mod plan;
pub mod protocol;
pub mod raw;
pub mod registry;
pub mod report;
pub mod scenario;
pub mod stats;
pub mod svg;
pub mod verify;
pub mod watchdog;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;

pub use args::{Args, PeerArgs};
pub use peer::peer_main;
pub use protocol::{Fault, PEER_SUBCOMMAND};
pub use registry::Mech;

use plan::{pick_cpus, pin, Budget, RunDir};
use scenario::{Case, Impl};
use stats::Outcome;
use watchdog::Watchdog;

/// Runs the benchmark: the table on stdout, progress on stderr, JSON/CSV files on request.
///
/// # Errors
/// The run could not start (pinning, the run directory, the signal mask) or a report could
/// not be written. A failed scenario is not an error: it is a FAILED row and
/// [`ExitCode::FAILURE`].
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.list {
        let mut out = std::io::stdout().lock();
        for m in Mech::ALL {
            writeln!(out, "{:<16} {}", m.name(), m.mechanism().about)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    args.check_output_paths()?;
    let mechs = registry::select(&args.only);
    let budget = Budget::from_args(&args);
    let machine = report::Machine::detect();
    let cpus = pick_cpus();
    if let Some((parent_cpu, _)) = cpus {
        pin(parent_cpu).context("sched_setaffinity (pinning the benchmark to one CPU)")?;
    }
    // The memcpy baseline of the shm-ring rows, on the parent's CPU, in this run.
    let memcpy = mechs
        .iter()
        .any(|m| m.name().starts_with("shm-ring"))
        .then(|| {
            let budget = std::time::Duration::from_millis(if args.quick { 25 } else { 250 });
            (
                measure::memcpy_mb_per_s(measure::MEMCPY_SIZE, budget),
                measure::check_mb_per_s(measure::MEMCPY_SIZE, budget),
            )
        });
    let dir = RunDir::create()?;
    // Before any thread or peer starts, so that all of them inherit the mask.
    raw::sys::signal::block_for_run()?;
    let watchdog = Watchdog::start(dir.path.clone());
    let rounds = budget.rounds.max(1);
    let round_budget = budget.per_round();
    let mut progress = report::Progress::new(mechs.len() * args.sizes.len() * 2 * rounds as usize);

    let mut outcomes = Vec::new();
    let mut id = 0u32;
    for &mech in &mechs {
        let m = mech.mechanism();
        for &size in &args.sizes {
            // [ipckit, raw], merged over the rounds.
            let mut acc: [Option<Outcome>; 2] = [None, None];
            for round in 0..rounds {
                let order = if round % 2 == 0 {
                    [Impl::Ipckit, Impl::Raw]
                } else {
                    [Impl::Raw, Impl::Ipckit]
                };
                for imp in order {
                    let slot = &mut acc[usize::from(imp == Impl::Raw)];
                    progress.step(m.name, size, imp);
                    if slot.as_ref().is_some_and(|o| o.skipped.is_some()) {
                        continue;
                    }
                    id += 1;
                    let case = Case {
                        imp,
                        size,
                        dir: dir.path.clone(),
                        id,
                        parent: std::process::id(),
                    };
                    let o = match (m.check)(size) {
                        Err(why) => Outcome::skipped(m.name, imp, size, why),
                        Ok(()) => parent::run_scenario(
                            mech,
                            &case,
                            &round_budget,
                            cpus.map(|c| c.1),
                            args.fault,
                            &watchdog,
                        ),
                    };
                    *slot = Some(match slot.take() {
                        None => o,
                        Some(prev) => prev.merge(o),
                    });
                }
            }
            for o in acc.into_iter().flatten() {
                let mut o = o;
                if o.note.is_none() {
                    o.note = m.note.map(String::from);
                }
                outcomes.push(o);
            }
        }
    }
    progress.done();
    drop(watchdog);
    drop(dir);

    let rows = report::rows(&outcomes);
    let mut out = std::io::stdout().lock();
    report::table(&mut out, &machine, cpus, &budget.text(), &rows)?;
    if let Some((mb, check)) = memcpy {
        report::memcpy_note(&mut out, mb, check, &rows)?;
    }
    out.flush()?;
    if let Some(path) = &args.json {
        report::write_json(path, &rows)?;
    }
    if let Some(path) = &args.csv {
        report::write_csv(path, &rows)?;
    }
    if let Some(path) = &args.svg {
        svg::write_svg(path, &rows, &report::title(&machine))?;
    }
    let failed = outcomes
        .iter()
        .filter(|o| o.skipped.is_none() && !o.verified)
        .count();
    if failed > 0 {
        eprintln!("ipckit: bench: {failed} scenario(s) FAILED (see the table)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
