//! The `posix-mq` row's queue geometry, shared by both twins.

use ipckit::posix::mq::Limits;

/// Kernel bookkeeping per message counted against `RLIMIT_MSGQUEUE` (an upper bound).
const PER_MSG_OVERHEAD: usize = 64;

/// Whether this process may exceed `msg_max`/`msgsize_max` (`CAP_SYS_RESOURCE` in `CapEff`;
/// being root is not enough in a container that dropped it).
fn has_cap_sys_resource() -> bool {
    const CAP_SYS_RESOURCE: u32 = 24;
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("CapEff:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .is_some_and(|caps| caps & (1 << CAP_SYS_RESOURCE) != 0)
}

/// `getrlimit(RLIMIT_MSGQUEUE)`: the soft limit in bytes.
fn rlimit_msgqueue() -> nix::Result<u64> {
    nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_MSGQUEUE)
        .map(|(soft, _)| soft)
}

/// `(maxmsg, msgsize)` both twins use for `size`-byte messages, or why it cannot run: at most
/// 10 messages, within `msg_max`/`msgsize_max` unless privileged, and both queues within half of
/// `RLIMIT_MSGQUEUE` (other processes of the same user may hold queues too).
pub fn geometry(size: usize) -> Result<(usize, usize), String> {
    let limits = Limits::read();
    let root = has_cap_sys_resource();
    let msgsize_max = limits.msgsize_max.unwrap_or(8192) as usize;
    if size > msgsize_max && !root {
        return Err(format!("above msgsize_max ({msgsize_max} bytes)"));
    }
    if size > 16 << 20 {
        return Err("above the kernel's hard msgsize limit (16 MiB)".into());
    }
    let msg_max = limits.msg_max.unwrap_or(10) as usize;
    let mut maxmsg = if root { 10 } else { msg_max.min(10) };
    let budget = rlimit_msgqueue().map_err(|e| format!("getrlimit: {e}"))? as usize / 2;
    let per_queue = budget / 2;
    while maxmsg > 1 && maxmsg * (size + PER_MSG_OVERHEAD) > per_queue {
        maxmsg -= 1;
    }
    if maxmsg * (size + PER_MSG_OVERHEAD) > per_queue {
        return Err(format!(
            "two queues of {size}-byte messages exceed half of RLIMIT_MSGQUEUE ({} bytes)",
            budget * 2
        ));
    }
    Ok((maxmsg, size))
}

/// The size check of the row.
pub fn check(size: usize) -> Result<(), String> {
    geometry(size).map(drop)
}
