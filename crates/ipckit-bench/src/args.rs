//! The flags of `ipckit bench` ([`Args`]) and of the hidden peer subcommand ([`PeerArgs`]).

use std::path::PathBuf;

use crate::common::MAX_FRAME;
use crate::protocol::Fault;
use crate::registry::Mech;

/// Flags of `ipckit bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these mechanisms (comma-separated; `--list` describes them).
    #[arg(long, value_name = "MECH,...", value_delimiter = ',', value_enum)]
    pub only: Vec<Mech>,

    /// Message sizes in bytes, comma-separated; K and M suffixes are KiB and MiB.
    #[arg(
        long,
        value_name = "SIZE,...",
        value_delimiter = ',',
        value_parser = parse_size,
        default_value = "64,4K,64K,1M"
    )]
    pub sizes: Vec<usize>,

    /// Tiny budgets (a few hundred messages per scenario): checks that everything runs and
    /// verifies, for tests; the numbers mean little.
    #[arg(long)]
    pub quick: bool,

    /// Time budget of each phase (latency, throughput) of each scenario, in milliseconds,
    /// shared by its rounds [default: 120 latency + 150 throughput; 15 with --quick].
    #[arg(long, value_name = "MS")]
    pub duration: Option<u64>,

    /// Cap on round trips (latency) and messages (throughput) per scenario, shared by its
    /// rounds [default: 200000 and 2000000; 300 with --quick].
    #[arg(long, value_name = "N")]
    pub iterations: Option<u64>,

    /// Rounds per scenario, each with a fresh peer, ipckit and raw alternating (ABBA...) so
    /// that a burst of load elsewhere hits both alike; latency histograms are merged,
    /// throughput is the best round [default: 3; 1 with --quick].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: Option<u32>,

    /// Write the rows as a JSON array to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write the rows as CSV to FILE.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// List the mechanisms and exit.
    #[arg(long)]
    pub list: bool,

    /// Make every peer misbehave this way (for the tests that prove a failure is reported).
    #[arg(long, value_enum, hide = true)]
    pub fault: Option<Fault>,
}

/// Flags of the hidden peer subcommand (`ipckit __bench-peer`). It has none: the peer reads
/// its [`PeerPlan`](crate::protocol::PeerPlan) from stdin (the control pipe).
#[derive(Debug, clap::Args)]
pub struct PeerArgs {}

/// Parses `64`, `4K`, `64k`, `1M`, `4KiB`: bytes, K = 1024, M = 1024².
///
/// # Errors
/// Not a size, 0, or above the benchmark's maximum message ([`MAX_FRAME`]).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let lower = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (num, mult) = if let Some(n) = lower.strip_suffix('k') {
        (n, 1usize << 10)
    } else if let Some(n) = lower.strip_suffix('m') {
        (n, 1usize << 20)
    } else {
        (lower, 1)
    };
    let n: usize = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 64, 4K, 1M)"))?;
    let bytes = n
        .checked_mul(mult)
        .ok_or_else(|| format!("{s:?} is too large"))?;
    if bytes == 0 {
        return Err("a message size must be at least 1 byte".into());
    }
    if bytes > MAX_FRAME {
        return Err(format!(
            "{s:?} is above the benchmark's maximum message of {MAX_FRAME} bytes"
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_suffixes() {
        assert_eq!(parse_size("64"), Ok(64));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("64k"), Ok(65536));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert!(parse_size("0").is_err());
        assert!(parse_size("x").is_err());
        assert!(parse_size("1G").is_err());
        assert!(parse_size("17M").is_err());
    }

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    #[test]
    fn only_is_an_enum_listing_the_known_names() {
        use clap::Parser as _;
        let cli = Cli::try_parse_from(["b", "--only", "pipe,sysv-mq"]).unwrap();
        assert_eq!(cli.args.only, [Mech::Pipe, Mech::SysvMq]);
        let err = Cli::try_parse_from(["b", "--only", "pipe,nosuch"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("nosuch"), "{err}");
        for &m in Mech::ALL {
            assert!(err.contains(m.name()), "{err}");
        }
        let cli = Cli::try_parse_from(["b", "--fault", "corrupt-echo"]).unwrap();
        assert_eq!(cli.args.fault, Some(Fault::CorruptEcho));
    }
}
