//! Parsers of argument values shared by several verbs (clap `value_parser`s).
//!
//! Shared by the verbs in `command/`; it imports none of them.

/// Parses permission bits written in octal (`600`, `0600`, `0o600`).
pub fn parse_mode(s: &str) -> Result<u32, String> {
    let t = s.strip_prefix("0o").unwrap_or(s);
    match u32::from_str_radix(t, 8) {
        Ok(m) if m <= 0o777 => Ok(m),
        _ => Err(format!("{s:?} is not octal permission bits (e.g. 0600)")),
    }
}

/// Parses a System V key: decimal, `0x` hex, or `ftok:PATH:ID`.
pub fn parse_key(s: &str) -> Result<ipckit::sysv::key::Key, String> {
    s.parse().map_err(|e: ipckit::Error| e.to_string())
}

/// The one size parser of the command line (and, as `parse_message_size`, of `bench --sizes`),
/// defined by the `ipckit-bench` crate, which defines `bench`'s flags.
pub use ipckit_bench::args::parse_size;

/// Parses a number of seconds (fractions allowed) for clap.
pub fn parse_secs(s: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    std::time::Duration::try_from_secs_f64(secs).map_err(|_| format!("{s:?} is not a duration"))
}

/// Parses an address for clap. The error says what is wrong in one line and points at
/// `--help`, which lists the forms ([`crate::present::address_help`]), instead of printing
/// the whole list on every typo.
pub fn parse_address(s: &str) -> Result<ipckit::channel::Address, String> {
    s.parse().map_err(|e: ipckit::Error| {
        let text = e.to_string();
        let why = text.split("; accepted forms:").next().unwrap_or(&text);
        format!("{why}\n  (the address forms are listed under --help)")
    })
}

/// The error for an address whose socket or FIFO path is an existing directory (`recv
/// unix:/tmp`): "/tmp is a directory", before the kernel's less telling EADDRINUSE or
/// ECONNREFUSED.
pub fn reject_directory(addr: &ipckit::channel::Address) -> anyhow::Result<()> {
    use ipckit::channel::Address;
    let path = match addr {
        Address::Fifo(p) | Address::File(p) => Some(p.as_path()),
        Address::Unix(a)
        | Address::UnixDgram(a)
        | Address::UnixSeqpacket(a)
        | Address::ShmRing(a) => a.as_path(),
        _ => None,
    };
    match path {
        Some(p) if p.is_dir() => anyhow::bail!("{addr}: {} is a directory", p.display()),
        _ => Ok(()),
    }
}

/// The one wording of a bad pid, for every argument that takes one.
pub const PID_RANGE: &str = "a pid is a number from 1 to 2147483647";

/// Parses a process (or process group) id: 1 to `i32::MAX`, as `kill(2)` takes it.
pub fn parse_pid(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(p) if p >= 1 && i32::try_from(p).is_ok() => Ok(p),
        _ => Err(PID_RANGE.to_string()),
    }
}

/// Where `ls --stale` and `rm --stale` look: directories for socket files, and which System
/// V segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleTargets {
    /// Directories whose socket files are probed (not their subdirectories).
    pub dirs: Vec<std::path::PathBuf>,
    /// `None`: no segments; `Some(keys)`: the segments with these keys, every segment if
    /// empty.
    pub keys: Option<Vec<ipckit::sysv::key::Key>>,
}

/// The directories `--stale` probes when given no DIR or KEY: the current directory,
/// `$XDG_RUNTIME_DIR` (if set) and `/tmp`, without repeats.
pub fn default_stale_dirs() -> Vec<std::path::PathBuf> {
    let mut dirs = vec![std::path::PathBuf::from(".")];
    if let Some(run) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        dirs.push(run.into());
    }
    dirs.push("/tmp".into());
    dirs.dedup();
    dirs
}

/// Sorts `--stale`'s arguments: an existing directory is a DIR, anything else must be a
/// System V key (decimal, 0x hex, ftok:PATH:ID). No arguments: [`default_stale_dirs`] and
/// every segment; otherwise exactly the DIRs and KEYs given (DIRs only: no segments; KEYs
/// only: no socket files).
pub fn stale_targets(args: &[String]) -> anyhow::Result<StaleTargets> {
    if args.is_empty() {
        return Ok(StaleTargets {
            dirs: default_stale_dirs(),
            keys: Some(Vec::new()),
        });
    }
    let mut t = StaleTargets {
        dirs: Vec::new(),
        keys: None,
    };
    for a in args {
        let path = std::path::Path::new(a);
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => t.dirs.push(path.to_path_buf()),
            meta => match a.parse::<ipckit::sysv::key::Key>() {
                Ok(key) => t.keys.get_or_insert_with(Vec::new).push(key),
                Err(_) => {
                    let why = match meta {
                        Ok(_) => "not a directory".to_string(),
                        Err(e) => e.raw_os_error().map(ipckit::Errno::from_raw).map_or_else(
                            || e.to_string(),
                            |n| format!("{}: {}", n.name(), n.description()),
                        ),
                    };
                    anyhow::bail!(
                        "--stale: {a:?} is neither a directory ({why}) nor a System V key \
                         (decimal, 0x hex, ftok:PATH:ID)"
                    )
                }
            },
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("1t"), Ok(1 << 40));
        assert_eq!(parse_size("2gb"), Ok(2 << 30));
        for bad in [
            "",
            "K",
            "-1",
            "1.5M",
            "1X",
            "1 K B",
            "99999999999999999999",
            "16777216P",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Every parser of a command-line value is total: any string is a value or a
        /// message, never a panic; a size with a suffix is the number times its unit.
        #[test]
        fn parsers_are_total(text in proptest::prelude::any::<String>()) {
            let _ = parse_size(&text);
            let _ = super::parse_mode(&text);
            let _ = super::parse_key(&text);
            let _ = super::parse_secs(&text);
            let _ = super::parse_pid(&text);
        }

        #[test]
        fn a_size_is_its_number_times_its_unit(n in 0u64..1 << 20, unit in 0usize..5) {
            let (suffix, shift) = [("", 0), ("K", 10), ("MiB", 20), ("g", 30), ("TB", 40)][unit];
            let want = usize::try_from(n << shift).ok();
            proptest::prop_assert_eq!(parse_size(&format!("{n}{suffix}")).ok(), want);
        }
    }
}
