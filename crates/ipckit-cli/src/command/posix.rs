//! The POSIX parts of `ipckit ls`, `mk`, `rm` and `dump`: message queues, shared memory and
//! named semaphores, listed with `lsipc` 2.41's columns.
//!
//! Names are always shown and taken with their leading slash (`/orders`), for all three
//! kinds: the string a program passes to `mq_open`, `shm_open` and `sem_open` (see
//! `ipckit::inspect::posix`).

use std::path::Path;

use ipckit::inspect::posix as inspect;
use ipckit::posix::mq::MessageQueue;
use ipckit::posix::sem::Semaphore;
use ipckit::posix::shm::SharedMemory;
use ipckit::ErrorKind;
use ipckit::Named;
use serde_json::{json, Value};

use super::ls::Section;
use super::{perms_string, time_string, unix_secs, user_name};

fn common_cells(c: &inspect::Common) -> Vec<String> {
    vec![c.name.clone(), perms_string(c.perms), user_name(c.uid)]
}

fn common_json(c: &inspect::Common, extra: Value) -> Value {
    let mut v = json!({
        "name": c.name,
        "perms": perms_string(c.perms),
        "mode": c.perms,
        "owner": user_name(c.uid),
        "uid": c.uid,
        "gid": c.gid,
        "mtime": unix_secs(Some(c.mtime)),
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    v
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// The POSIX message queues section; `Ok(None)` (after a note on stderr saying how to mount
/// it) when the mqueue filesystem is not mounted. With `mount`, mounts it at `/dev/mqueue`
/// first if needed (root only).
pub fn queues(mount: bool) -> anyhow::Result<Option<Section>> {
    if mount && inspect::mqueue_mount().is_none() {
        inspect::mount_mqueue(Path::new(inspect::MQUEUE_DIR))?;
        eprintln!(
            "ipckit: mounted the mqueue filesystem at {}",
            inspect::MQUEUE_DIR
        );
    }
    let all = match inspect::list_mq() {
        Ok(all) => all,
        Err(e) if e.kind() == ErrorKind::NotFound && inspect::mqueue_mount().is_none() => {
            eprintln!("ipckit: POSIX message queues not listed: {e}");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Some(Section {
        family: "posix",
        name: "queues",
        title: "POSIX message queues",
        header: &["NAME", "PERMS", "OWNER", "USEDBYTES", "MSGS", "MTIME"],
        rows: all
            .iter()
            .map(|q| {
                let mut r = common_cells(&q.common);
                r.extend([
                    q.used_bytes.to_string(),
                    opt(q.msgs),
                    time_string(Some(q.common.mtime)),
                ]);
                r
            })
            .collect(),
        items: all
            .iter()
            .map(|q| {
                common_json(
                    &q.common,
                    json!({
                        "usedbytes": q.used_bytes,
                        "msgs": q.msgs,
                        "maxmsg": q.maxmsg,
                        "msgsize": q.msgsize,
                        "notify_pid": q.notify_pid,
                    }),
                )
            })
            .collect(),
    }))
}

/// The POSIX shared memory section (`/dev/shm` without `sem.*`).
pub fn segments() -> anyhow::Result<Section> {
    let all = inspect::list_shm()?;
    Ok(Section {
        family: "posix",
        name: "segments",
        title: "POSIX shared memory",
        header: &["NAME", "PERMS", "OWNER", "SIZE", "MTIME"],
        rows: all
            .iter()
            .map(|s| {
                let mut r = common_cells(&s.common);
                r.extend([s.size.to_string(), time_string(Some(s.common.mtime))]);
                r
            })
            .collect(),
        items: all
            .iter()
            .map(|s| common_json(&s.common, json!({ "size": s.size })))
            .collect(),
    })
}

/// The POSIX named semaphores section (`/dev/shm/sem.*`, with values).
pub fn semaphores() -> anyhow::Result<Section> {
    let all = inspect::list_sem()?;
    Ok(Section {
        family: "posix",
        name: "semaphores",
        title: "POSIX semaphores",
        header: &["NAME", "PERMS", "OWNER", "SVAL", "MTIME"],
        rows: all
            .iter()
            .map(|s| {
                let mut r = common_cells(&s.common);
                r.extend([
                    opt(s.value.map(u64::from)),
                    time_string(Some(s.common.mtime)),
                ]);
                r
            })
            .collect(),
        items: all
            .iter()
            .map(|s| common_json(&s.common, json!({ "value": s.value })))
            .collect(),
    })
}

/// `mk --posix-mq`: creates a queue that stays, prints its name.
pub fn mk_queue(
    name: &str,
    mode: u32,
    maxmsg: Option<usize>,
    msgsize: Option<usize>,
) -> ipckit::Result<String> {
    let mut b = MessageQueue::builder(name).mode(mode);
    if let Some(n) = maxmsg {
        b = b.maxmsg(n);
    }
    if let Some(n) = msgsize {
        b = b.msgsize(n);
    }
    let mut q = b.create_new()?;
    q.persist();
    Ok(q.name().to_string())
}

/// `mk --posix-shm`: creates a zero-filled object of `size` bytes that stays.
pub fn mk_shm(name: &str, mode: u32, size: usize) -> ipckit::Result<String> {
    let mut s = SharedMemory::builder(name)
        .mode(mode)
        .size(size)
        .create_new()?;
    s.persist();
    Ok(s.name().to_string())
}

/// `mk --posix-sem`: creates a named semaphore with `value` that stays.
pub fn mk_sem(name: &str, mode: u32, value: u32) -> ipckit::Result<String> {
    let mut s = Semaphore::builder(name)
        .mode(mode)
        .value(value)
        .create_new()?;
    s.persist();
    Ok(s.name().to_string())
}

/// `rm --posix-mq/--posix-shm/--posix-sem`: unlinks each name, reporting each failure.
pub fn rm(
    mqs: &[String],
    shms: &[String],
    sems: &[String],
    report: &mut dyn FnMut(ipckit::Result<()>),
) {
    for n in mqs {
        report(MessageQueue::unlink(n));
    }
    for n in shms {
        report(SharedMemory::unlink(n));
    }
    for n in sems {
        report(Semaphore::unlink(n));
    }
}

/// `ipckit send posix-mq:/NAME --priority P`: sends every message with priority `P`.
pub struct PrioritySender {
    q: MessageQueue,
    priority: u32,
    max: usize,
}

impl PrioritySender {
    /// Opens the existing queue `name` write-only.
    pub fn open(name: &str, priority: u32, max: usize) -> ipckit::Result<PrioritySender> {
        let q = MessageQueue::builder(name).write_only().open()?;
        let max = max.min(q.msgsize());
        Ok(PrioritySender { q, priority, max })
    }
}

impl ipckit::channel::Sender for PrioritySender {
    fn send(&mut self, msg: &[u8]) -> ipckit::Result<()> {
        if msg.len() > self.max {
            return Err(
                ipckit::Error::new(ErrorKind::TooLarge, "mq_send", self.q.name()).with_detail(
                    format!(
                        "message of {} bytes exceeds the maximum of {} bytes",
                        msg.len(),
                        self.max
                    ),
                ),
            );
        }
        self.q.send(msg, self.priority)
    }
}

/// `ipckit recv posix-mq:/NAME -v`: prints `PRIORITY<TAB>MESSAGE` for each message until
/// `count` messages (forever without), failing when none arrives within `timeout`.
pub fn recv_with_priorities(
    q: &MessageQueue,
    count: Option<u64>,
    timeout: Option<std::time::Duration>,
    max: usize,
) -> anyhow::Result<std::process::ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let mut buf = Vec::new();
    let mut received = 0u64;
    while count.is_none_or(|n| received < n) {
        let (n, prio) = match timeout {
            None => q.recv(&mut buf)?,
            Some(t) => match q.recv_timeout(&mut buf, t) {
                Err(e) if e.kind() == ErrorKind::TimedOut => anyhow::bail!(
                    "recv posix-mq:{}: timed out: no message within {t:?}",
                    q.name()
                ),
                r => r?,
            },
        };
        if n > max {
            anyhow::bail!(
                "recv posix-mq:{}: message of {n} bytes exceeds the maximum of {max} bytes",
                q.name()
            );
        }
        received += 1;
        write!(out, "{prio}\t")?;
        out.write_all(&buf)?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(std::process::ExitCode::SUCCESS)
}
