//! The command line: the master's options (what a person types) and the worker's (what the
//! master passes to the copies of itself it starts).

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use super::{master, worker, Mech};

/// The environment variable that makes the program a worker (set by the master only).
pub(crate) const WORKER_ENV: &str = "IPCKIT_PARALLEL_SUM_WORKER";

const AFTER_HELP: &str = "\
Each worker adds the numbers of its share one by one (a loop, not the closed form), then
sends its pid and partial sum through MECH. The master prints every worker's pid and
partial sum, the total and the wall time, and checks the total against M(M+1)/2.

Nothing is left behind (no FIFO, socket file, queue, segment or semaphore) after success,
failure or Ctrl-C.

Exit status: 0 right total, 1 wrong total, 2 bad arguments, 3 a worker or the IPC failed
(a worker died or the timeout passed), 130 interrupted.

Example:
  parallel-sum --workers 10 --to 10000 --via shm-ring";

/// Sum 1..M with N worker processes that send their partial sums back through one IPC
/// mechanism.
#[derive(Debug, Parser)]
#[command(name = "parallel-sum", version, after_help = AFTER_HELP)]
pub(crate) struct RunArgs {
    /// Number of worker processes, 1 to 1024.
    #[arg(long, short = 'n', value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub(crate) workers: u32,

    /// Sum the numbers 1 to M (digits, `_` allowed, or 10^K, or 1eK).
    #[arg(long, short = 'm', value_name = "M", default_value = "10000", value_parser = parse_count)]
    pub(crate) to: u64,

    /// How the workers send their partial sums back.
    #[arg(long, value_name = "MECH", value_enum)]
    pub(crate) via: Mech,

    /// Give up after SECS seconds (fractions allowed) without all reports; default 10 s
    /// plus 20 ns per number of the largest share.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub(crate) timeout: Option<Duration>,

    /// Print the result as one JSON object on stdout.
    #[arg(long)]
    pub(crate) json: bool,

    /// Report on stderr each IPC object created and removed.
    #[arg(long, short = 'v')]
    pub(crate) verbose: bool,

    /// Fault injection for tests: what one worker does wrong.
    #[arg(long, value_enum, hide = true)]
    pub(crate) fault: Option<Fault>,

    /// Fault injection for tests: which worker (index from 0) does it.
    #[arg(long, value_name = "INDEX", default_value_t = 0, hide = true)]
    pub(crate) fault_worker: u32,
}

/// A fault a worker can be told to commit (`--fault`, hidden; for tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Fault {
    /// Sends itself SIGKILL after adding up, before reporting.
    Kill,
    /// Exits with status 0 without reporting.
    Exit,
    /// Never reports (sleeps until killed).
    Hang,
    /// Reports its partial sum plus one.
    WrongPartial,
}

/// What the master tells a worker (never typed by a person).
#[derive(Debug, Parser)]
#[command(name = "parallel-sum worker")]
pub(crate) struct WorkerArgs {
    /// The worker's index, from 0.
    #[arg(long)]
    pub(crate) index: u32,
    /// First number of the share.
    #[arg(long)]
    pub(crate) from: u64,
    /// Last number of the share (below `from`: empty).
    #[arg(long)]
    pub(crate) to: u64,
    /// The mechanism.
    #[arg(long, value_enum)]
    pub(crate) via: Mech,
    /// Where to report: a channel address, an fd, ids or a name, by mechanism.
    #[arg(long)]
    pub(crate) endpoint: String,
    /// The master's pid (a worker whose parent changed stops without reporting).
    #[arg(long)]
    pub(crate) master: u32,
    /// The fault to commit, if any.
    #[arg(long, value_enum)]
    pub(crate) fault: Option<Fault>,
}

pub(crate) fn main() -> ExitCode {
    if std::env::var_os(WORKER_ENV).is_some() {
        return worker::main(WorkerArgs::parse());
    }
    master::main(RunArgs::parse())
}

/// `10000`, `10_000`, `10^4`, `1e4`.
fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    let pow = |base: &str, exp: &str| -> Result<u64, String> {
        let b: u64 = base
            .parse()
            .map_err(|_| format!("`{s}`: bad base `{base}`"))?;
        let e: u32 = exp
            .parse()
            .map_err(|_| format!("`{s}`: bad exponent `{exp}`"))?;
        b.checked_pow(e)
            .ok_or_else(|| format!("`{s}` is above {}", u64::MAX))
    };
    if let Some((b, e)) = t.split_once('^') {
        return pow(b, e);
    }
    if let Some((m, e)) = t.split_once(['e', 'E']) {
        let m: u64 = m.parse().map_err(|_| format!("`{s}`: bad mantissa"))?;
        return pow("10", e)?
            .checked_mul(m)
            .ok_or_else(|| format!("`{s}` is above {}", u64::MAX));
    }
    t.parse()
        .map_err(|_| format!("`{s}` is not a whole number (10000, 10_000, 10^4, 1e4)"))
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(v).map_err(|_| format!("`{s}`: not a valid duration"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn counts_parse_in_every_form() {
        assert_eq!(parse_count("10000"), Ok(10_000));
        assert_eq!(parse_count("10_000"), Ok(10_000));
        assert_eq!(parse_count("10^10"), Ok(10_000_000_000));
        assert_eq!(parse_count("1e6"), Ok(1_000_000));
        assert_eq!(parse_count("3E2"), Ok(300));
        assert!(parse_count("10^20").is_err());
        assert!(parse_count("-5").is_err());
        assert!(parse_count("ten").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        RunArgs::command().debug_assert();
        WorkerArgs::command().debug_assert();
    }
}
