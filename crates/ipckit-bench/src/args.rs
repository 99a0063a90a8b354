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

    /// Message sizes in bytes, comma-separated; K, M suffixes (and G, T, P) are KiB, MiB…
    #[arg(
        long,
        value_name = "SIZE,...",
        value_delimiter = ',',
        value_parser = parse_message_size,
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

    /// Draw the results as one SVG image in FILE, two charts one above the other: the p50
    /// round trip per mechanism and size (log scales; ipckit solid beside its raw libc twin
    /// dashed, a whisker from p50 up to p99), then one-way throughput in MB/s.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,

    /// List the mechanisms and exit.
    #[arg(long)]
    pub list: bool,

    /// Make every peer misbehave this way (for the tests that prove a failure is reported).
    #[arg(long, value_enum, hide = true)]
    pub fault: Option<Fault>,
}

impl Args {
    /// Checks every output file (`--json`, `--csv`, `--svg`) before the run, so that a path
    /// that cannot be written fails at once rather than after minutes of measuring: it is
    /// not a directory, its directory exists and this user may write into it (and into the
    /// file, if it exists).
    ///
    /// # Errors
    /// The first unusable path, named with the flag and the reason.
    pub fn check_output_paths(&self) -> anyhow::Result<()> {
        for (flag, path) in [
            ("--json", &self.json),
            ("--csv", &self.csv),
            ("--svg", &self.svg),
        ] {
            if let Some(p) = path {
                check_writable(p)
                    .map_err(|why| anyhow::anyhow!("{flag} {}: {why}", p.display()))?;
            }
        }
        Ok(())
    }
}

/// Why `path` cannot be written as a new or replaced file, if it cannot.
fn check_writable(path: &std::path::Path) -> Result<(), String> {
    use nix::unistd::{access, AccessFlags};
    let errno = |e: nix::Error| format!("{}: {}", e, e.desc());
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => return Err("is a directory".into()),
        Ok(_) => {
            return access(path, AccessFlags::W_OK)
                .map_err(|e| format!("cannot write the file ({})", errno(e)))
        }
        // Missing, or a path through a file: the directory check below says which.
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || e.raw_os_error() == Some(libc::ENOTDIR) => {}
        Err(e) => return Err(e.to_string()),
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => access(dir, AccessFlags::W_OK | AccessFlags::X_OK)
            .map_err(|e| format!("cannot create a file in {} ({})", dir.display(), errno(e))),
        Ok(_) => Err(format!("{} is not a directory", dir.display())),
        Err(_) => Err(format!("the directory {} does not exist", dir.display())),
    }
}

/// Flags of the hidden peer subcommand (`ipckit __bench-peer`). It has none: the peer reads
/// its [`PeerPlan`](crate::protocol::PeerPlan) from stdin (the control pipe).
#[derive(Debug, clap::Args)]
pub struct PeerArgs {}

/// Parses a size in bytes, the one parser of every size argument of ipckit's command line
/// (the CLI's `mk -M`, `--size`, `--msgsize`, `--max-message`, `dump --offset/--len`, `ipcmk
/// -M` use it; `bench --sizes` through [`parse_message_size`]): a number, optionally with a
/// binary suffix `K`, `M`, `G`, `T` or `P`, in any case, alone or followed by `iB` or `B`.
/// Every suffix is a power of 1024: `4K` = `4KiB` = `4kB` = 4096. (util-linux's `ipcmk`
/// reads `KB` as 1000; ipckit has no decimal units, so a size never means two things.) E.g.
/// `4096`, `64K`, `16MiB`, `1T`.
///
/// # Errors
/// Not a number with one of those suffixes, or more than `usize` holds.
///
/// # Examples
/// ```
/// use ipckit_bench::args::parse_size;
/// assert_eq!(parse_size("64K"), Ok(64 << 10));
/// assert_eq!(parse_size("16MiB"), Ok(16 << 20));
/// assert!(parse_size("1.5M").is_err());
/// ```
pub fn parse_size(s: &str) -> Result<usize, String> {
    let bad = || format!("{s:?} is not a size in bytes (e.g. 4096, 64K, 16M, 1T)");
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let suffix = suffix.trim().to_ascii_lowercase();
    let unit = suffix
        .strip_suffix("ib")
        .or_else(|| suffix.strip_suffix('b'))
        .unwrap_or(&suffix);
    let shift = match unit {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        "p" => 50,
        _ => return Err(bad()),
    };
    n.checked_mul(1u64 << shift)
        .and_then(|b| usize::try_from(b).ok())
        .ok_or_else(|| format!("{s:?} is too large a size"))
}

/// [`parse_size`] for a benchmark message size (`bench --sizes`): at least 1 byte and at
/// most the benchmark's largest message ([`MAX_FRAME`]).
///
/// # Errors
/// As [`parse_size`]; also 0 and sizes above [`MAX_FRAME`].
///
/// # Examples
/// ```
/// use ipckit_bench::args::parse_message_size;
/// assert_eq!(parse_message_size("4KiB"), Ok(4096));
/// assert!(parse_message_size("0").is_err());
/// assert!(parse_message_size("1G").is_err()); // a size, but above the largest message
/// ```
pub fn parse_message_size(s: &str) -> Result<usize, String> {
    let n = parse_size(s)?;
    if n == 0 {
        return Err("a message size must be at least 1 byte".into());
    }
    if n > MAX_FRAME {
        return Err(format!(
            "{s:?} is above the benchmark's maximum message of {MAX_FRAME} bytes"
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_suffixes() {
        assert_eq!(parse_message_size("64"), Ok(64));
        assert_eq!(parse_message_size("4K"), Ok(4096));
        assert_eq!(parse_message_size("64k"), Ok(65536));
        assert_eq!(parse_message_size("1M"), Ok(1 << 20));
        assert_eq!(parse_message_size("4KiB"), Ok(4096));
        assert!(parse_message_size("0").is_err());
        assert!(parse_message_size("x").is_err());
        assert!(parse_message_size("1G").is_err());
        assert!(parse_message_size("17M").is_err());
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("0"), Ok(0));
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

    #[test]
    fn output_paths_are_checked_up_front() {
        use clap::Parser as _;
        let check = |flag: &str, path: &str| {
            Cli::try_parse_from(["b", flag, path])
                .unwrap()
                .args
                .check_output_paths()
                .map_err(|e| e.to_string())
        };
        let tmp = std::env::temp_dir();
        let tmp = tmp.to_str().unwrap();
        let e = check("--svg", tmp).unwrap_err();
        assert!(e.contains("--svg") && e.contains("is a directory"), "{e}");
        let e = check("--json", "/nonexistent-dir-ipckit/x.json").unwrap_err();
        assert!(
            e.contains("/nonexistent-dir-ipckit") && e.contains("does not exist"),
            "{e}"
        );
        let e = check("--csv", "/etc/hostname/x.csv").unwrap_err();
        assert!(e.contains("not a directory"), "{e}");
        assert!(check("--csv", &format!("{tmp}/ipckit-bench-args-test.csv")).is_ok());
        assert!(check("--csv", "x.csv").is_ok());
    }
}
