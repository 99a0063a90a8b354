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

/// Parses a size in bytes: a number, optionally with a binary suffix `K`, `M`, `G`, `T` or
/// `P` (`KiB`, `k`, `kb` alike: powers of 1024), e.g. `4096`, `64K`, `1T`.
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
}
