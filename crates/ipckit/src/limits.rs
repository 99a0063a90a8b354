//! System-wide limits the kernel publishes under `/proc/sys`: the one place ipckit reads
//! them.
//!
//! Each function reads its file when called (an administrator may change a limit at any
//! time) and returns `None` if the file is missing or does not hold a number, for example
//! inside a container without `/proc` or on a kernel without the facility.
//!
//! ```
//! if let Some(max) = ipckit::limits::msgmax() {
//!     println!("a System V message holds at most {max} bytes");
//! }
//! ```
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
///
/// # References
/// <https://man7.org/linux/man-pages/man7/pipe.7.html>
pub fn pipe_max_size() -> Option<u64> {
    proc_sys("fs/pipe-max-size")
}

/// `/proc/sys/kernel/msgmax`: the largest System V message text in bytes (8192 by
/// default).
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sys_kernel.5.html>,
/// <https://man7.org/linux/man-pages/man2/msgop.2.html>
pub fn msgmax() -> Option<u64> {
    proc_sys("kernel/msgmax")
}

/// `/proc/sys/kernel/msgmnb`: the default capacity (`msg_qbytes`) of a new System V message
/// queue in bytes (16384 by default).
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sys_kernel.5.html>,
/// <https://man7.org/linux/man-pages/man2/msgctl.2.html>
pub fn msgmnb() -> Option<u64> {
    proc_sys("kernel/msgmnb")
}

/// `/proc/sys/kernel/shmmax`: the largest System V shared-memory segment in bytes.
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sys_kernel.5.html>,
/// <https://man7.org/linux/man-pages/man2/shmget.2.html>
pub fn shmmax() -> Option<u64> {
    proc_sys("kernel/shmmax")
}

/// The four System V semaphore limits of `/proc/sys/kernel/sem`, in the file's order.
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sys_kernel.5.html>,
/// <https://man7.org/linux/man-pages/man2/semget.2.html>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemLimits {
    /// `SEMMSL`: the most semaphores in one set.
    pub semmsl: u64,
    /// `SEMMNS`: the most semaphores in all sets together.
    pub semmns: u64,
    /// `SEMOPM`: the most operations in one `semop(2)` call.
    pub semopm: u64,
    /// `SEMMNI`: the most semaphore sets.
    pub semmni: u64,
}

/// `/proc/sys/kernel/sem`: `SEMMSL SEMMNS SEMOPM SEMMNI` (counts, see [`SemLimits`]).
///
/// # Examples
/// ```
/// if let Some(l) = ipckit::limits::sem() {
///     assert!(l.semopm >= 1);
/// }
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sys_kernel.5.html>
pub fn sem() -> Option<SemLimits> {
    let text = std::fs::read_to_string("/proc/sys/kernel/sem").ok()?;
    // semmsl semmns semopm semmni, in this order (proc_sys_kernel(5)).
    let mut v = text.split_whitespace().map(|x| x.parse::<u64>().ok());
    Some(SemLimits {
        semmsl: v.next()??,
        semmns: v.next()??,
        semopm: v.next()??,
        semmni: v.next()??,
    })
}

/// `/proc/sys/fs/mqueue/msg_max`: the most messages an unprivileged process may give a new
/// POSIX message queue (`mq_maxmsg`).
///
/// # References
/// <https://man7.org/linux/man-pages/man7/mq_overview.7.html>
pub fn mq_msg_max() -> Option<u64> {
    proc_sys("fs/mqueue/msg_max")
}

/// `/proc/sys/fs/mqueue/msgsize_max`: the largest message size in bytes an unprivileged
/// process may give a new POSIX message queue (`mq_msgsize`).
///
/// # References
/// <https://man7.org/linux/man-pages/man7/mq_overview.7.html>
pub fn mq_msgsize_max() -> Option<u64> {
    proc_sys("fs/mqueue/msgsize_max")
}

/// `/proc/sys/fs/mqueue/queues_max`: how many POSIX message queues may exist system-wide.
///
/// # References
/// <https://man7.org/linux/man-pages/man7/mq_overview.7.html>
pub fn mq_queues_max() -> Option<u64> {
    proc_sys("fs/mqueue/queues_max")
}

/// `/proc/sys/fs/mqueue/msg_default`: `mq_maxmsg` of a POSIX queue created without
/// attributes (messages).
///
/// # References
/// <https://man7.org/linux/man-pages/man7/mq_overview.7.html>
pub fn mq_msg_default() -> Option<u64> {
    proc_sys("fs/mqueue/msg_default")
}

/// `/proc/sys/fs/mqueue/msgsize_default`: `mq_msgsize` of a POSIX queue created without
/// attributes (bytes).
///
/// # References
/// <https://man7.org/linux/man-pages/man7/mq_overview.7.html>
pub fn mq_msgsize_default() -> Option<u64> {
    proc_sys("fs/mqueue/msgsize_default")
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_kernel_limits() {
        // Every Linux with System V IPC publishes these.
        assert!(super::msgmax().is_some_and(|v| v > 0));
        assert!(super::sem().is_some_and(|l| l.semmsl > 0 && l.semopm > 0));
        assert_eq!(super::proc_sys("no/such/file"), None);
    }
}
