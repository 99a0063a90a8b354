//! `ipckit limits`: the kernel's IPC limits and current use.
//!
//! POSIX message queues in use are counted as `ipckit ls -Q` lists them: through the mounted
//! mqueue filesystem, else (as root) a private mount namespace; otherwise the table says
//! `unknown (mqueue not mounted, not root)` and the JSON has `"used": null`.

use std::io::Write;
use std::process::ExitCode;

use std::collections::BTreeMap;

use ipckit::inspect::sysv as inspect;
use serde::Serialize;

use crate::present::write_table;

/// One limit in `--json`: `{"limit": N, "used": N|null}` (`limit` is null where the POSIX
/// value is not readable; `used` where it cannot be counted).
#[derive(Serialize)]
struct LimitView {
    limit: Option<u64>,
    used: Option<u64>,
}

/// `limits --json`: each family's limits by name.
#[derive(Serialize)]
struct LimitsView {
    sysv: BTreeMap<&'static str, LimitView>,
    posix: BTreeMap<&'static str, LimitView>,
}

/// Flags of `ipckit limits`.
#[derive(Debug, clap::Args)]
pub struct LimitsArgs {
    /// Print JSON: {"sysv": {"msgmax": {"limit": N, "used": N|null}, ...}, "posix": {...}}.
    /// POSIX limits not readable are null, as are the queues in use where they cannot be
    /// counted (mqueue not mounted and not root: as root they are counted through a private
    /// mount namespace, as `ls -Q` lists them).
    #[arg(long)]
    pub json: bool,
}

/// The POSIX message queues in use, listed as `ipckit ls -Q` lists them: through the
/// mounted mqueue filesystem, else (as root) through a private mount namespace that leaves
/// this system's mounts alone (`ipckit::inspect::posix::list_mq_anywhere`). Otherwise
/// `None`, with why it cannot be known.
fn queues_in_use() -> (Option<u64>, Option<String>) {
    use ipckit::inspect::posix;
    match posix::list_mq_anywhere() {
        Ok((queues, _)) => (Some(queues.len() as u64), None),
        Err(e) if e.kind() == ipckit::ErrorKind::NotFound && posix::mqueue_mount().is_none() => {
            (None, Some("mqueue not mounted, not root".into()))
        }
        Err(e) => (None, Some(e.to_string())),
    }
}

/// Runs `ipckit limits`.
pub fn run(args: LimitsArgs) -> anyhow::Result<ExitCode> {
    let l = inspect::limits()?;
    // (name, description, limit, used)
    let rows: Vec<(&'static str, &str, u64, Option<u64>)> = vec![
        ("msgmax", "largest message (bytes)", l.msgmax, None),
        ("msgmnb", "default queue capacity (bytes)", l.msgmnb, None),
        ("msgmni", "message queues", l.msgmni, Some(l.queues_used)),
        ("shmmax", "largest segment (bytes)", l.shmmax, None),
        (
            "shmall",
            "shared memory in all segments (pages)",
            l.shmall,
            Some(l.shm_pages_used),
        ),
        (
            "shmmni",
            "shared-memory segments",
            l.shmmni,
            Some(l.segments_used),
        ),
        ("semmsl", "semaphores per set", l.semmsl, None),
        (
            "semmns",
            "semaphores in all sets",
            l.semmns,
            Some(l.semaphores_used),
        ),
        ("semopm", "operations per semop", l.semopm, None),
        ("semmni", "semaphore sets", l.semmni, Some(l.sets_used)),
    ];
    let mq = ipckit::posix::mq::Limits::read();
    let (queues_used, unknown) = queues_in_use();
    let posix_rows: Vec<(&'static str, &str, Option<u64>, Option<u64>)> = vec![
        (
            "msg_max",
            "most messages per queue (unprivileged)",
            mq.msg_max,
            None,
        ),
        (
            "msgsize_max",
            "largest message (bytes, unprivileged)",
            mq.msgsize_max,
            None,
        ),
        ("queues_max", "message queues", mq.queues_max, queues_used),
        (
            "msg_default",
            "messages per queue by default",
            mq.msg_default,
            None,
        ),
        (
            "msgsize_default",
            "message size by default (bytes)",
            mq.msgsize_default,
            None,
        ),
    ];
    let mut out = std::io::stdout().lock();
    if args.json {
        let view = LimitsView {
            sysv: rows
                .iter()
                .map(|&(name, _, limit, used)| {
                    let limit = Some(limit);
                    (name, LimitView { limit, used })
                })
                .collect(),
            posix: posix_rows
                .iter()
                .map(|&(name, _, limit, used)| (name, LimitView { limit, used }))
                .collect(),
        };
        // Through a JSON value, so keys are sorted as in every other JSON of ipckit.
        serde_json::to_writer_pretty(&mut out, &serde_json::to_value(&view)?)?;
        writeln!(out)?;
    } else {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|(name, desc, limit, used)| {
                vec![
                    name.to_string(),
                    limit.to_string(),
                    used.map_or("-".into(), |u| u.to_string()),
                    desc.to_string(),
                ]
            })
            .collect();
        writeln!(out, "System V (/proc/sys/kernel)")?;
        write_table(&mut out, &["NAME", "LIMIT", "USED", "DESCRIPTION"], &cells)?;
        let dash = |v: &Option<u64>| v.map_or("-".into(), |v| v.to_string());
        let cells: Vec<Vec<String>> = posix_rows
            .iter()
            .map(|(name, desc, limit, used)| {
                let used = match used {
                    None if *name == "queues_max" && unknown.is_some() => "unknown".into(),
                    used => dash(used),
                };
                vec![name.to_string(), dash(limit), used, desc.to_string()]
            })
            .collect();
        writeln!(out)?;
        writeln!(out, "POSIX message queues (/proc/sys/fs/mqueue)")?;
        write_table(&mut out, &["NAME", "LIMIT", "USED", "DESCRIPTION"], &cells)?;
        if let Some(why) = unknown {
            writeln!(out, "queues in use: unknown ({why})")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
