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
