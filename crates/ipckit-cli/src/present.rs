//! How the commands show things: aligned tables, permission strings, user names, times.
//!
//! Shared by the verbs in `command/`; it imports none of them.

/// Writes rows under a header with columns padded to their widest cell; numeric-looking
/// columns (every cell a number) are right-aligned, like `lsipc`.
pub fn write_table(
    out: &mut impl std::io::Write,
    header: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let n = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.len()).collect();
    let mut numeric = vec![true; n];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(n) {
            width[i] = width[i].max(cell.chars().count());
            numeric[i] &= cell.parse::<f64>().is_ok() || cell == "-";
        }
    }
    let line = |out: &mut dyn std::io::Write, cells: &[&str]| -> std::io::Result<()> {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            let pad = width[i].saturating_sub(cell.chars().count());
            if numeric[i] {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad));
                }
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(out, header)?;
    for row in rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(out, &cells)?;
    }
    Ok(())
}

/// `rw-r-----` for permission bits `0o640` (as `lsipc` shows them).
pub fn perms_string(mode: u32) -> String {
    let mut s = String::with_capacity(9);
    for shift in [6, 3, 0] {
        let b = (mode >> shift) & 7;
        s.push(if b & 4 != 0 { 'r' } else { '-' });
        s.push(if b & 2 != 0 { 'w' } else { '-' });
        s.push(if b & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// The user name of `uid`, or the number if it has none.
pub fn user_name(uid: u32) -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map_or_else(|| uid.to_string(), |u| u.name)
}

/// Seconds since the epoch, `None` for "never" (JSON `null`).
pub fn unix_secs(t: Option<std::time::SystemTime>) -> Option<u64> {
    t.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
}

/// `2026-11-21 11:40:25` (UTC) for a time, `-` for "never".
pub fn time_string(t: Option<std::time::SystemTime>) -> String {
    let Some(t) = t.filter(|t| *t >= std::time::UNIX_EPOCH) else {
        return "-".into();
    };
    let utc: chrono::DateTime<chrono::Utc> = t.into();
    utc.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The address forms (from the library, so new transports show up), shown under `--help`
/// of `send` and `recv`.
pub fn address_help() -> String {
    format!(
        "Addresses:\n{}\n\nByte streams (fifo, unix, tcp) carry each message as a 4-byte little-endian \
         length and the payload, unless --raw. A file: spool keeps messages while no receiver \
         runs; recv continues where the last receiver stopped (position in PATH.pos).",
        ipckit::channel::ACCEPTED_FORMS
    )
}

/// A duration as a person reads it (`1 s`, `250 ms`, `3.2 µs`): the library's formatter, so
/// the CLI's messages and the library's error details write durations alike.
pub use ipckit::error::duration_text;

#[cfg(test)]
mod tests {
    use super::time_string;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn times_are_utc_seconds() {
        assert_eq!(time_string(None), "-");
        assert_eq!(time_string(Some(UNIX_EPOCH)), "1970-01-01 00:00:00");
        let t = UNIX_EPOCH + Duration::from_millis(951_782_399_900);
        assert_eq!(time_string(Some(t)), "2000-02-28 23:59:59");
    }
}
