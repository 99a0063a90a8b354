//! System-wide limits the kernel publishes under `/proc/sys`: the one place ipckit reads
//! them.
//!
//! # References
//! - <https://man7.org/linux/man-pages/man5/proc_sys_kernel.5.html>
//! - <https://man7.org/linux/man-pages/man5/proc_sys_fs.5.html>
//! - <https://man7.org/linux/man-pages/man7/mq_overview.7.html>

/// Reads `/proc/sys/{path}` as one unsigned number (`kernel/msgmax`, `fs/pipe-max-size`);
/// `None` if it is missing or not a number.
pub(crate) fn proc_sys(path: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/sys/{path}"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `/proc/sys/fs/pipe-max-size`: the largest capacity in bytes an unprivileged process may
/// give a pipe with `F_SETPIPE_SZ`.
pub(crate) fn pipe_max_size() -> Option<u64> {
    proc_sys("fs/pipe-max-size")
}

/// Reads `/proc/sys/{path}` as whitespace-separated unsigned numbers (`kernel/sem`: semmsl
/// semmns semopm semmni); `None` if it is missing or a field is not a number.
pub(crate) fn proc_sys_list(path: &str) -> Option<Vec<u64>> {
    std::fs::read_to_string(format!("/proc/sys/{path}"))
        .ok()?
        .split_whitespace()
        .map(|v| v.parse().ok())
        .collect()
}
