//! `ipckit ls` (alias `ipcs`): list kernel IPC objects, or show one in detail.
//!
//! Output is built as [`Section`]s, one per kind of object, grouped by family (`sysv`, and
//! later `posix`): the table shows each section under its title with `lsipc`'s columns;
//! `--json` prints `{"<family>": {"<section>": [objects...]}}` with typed values (numbers
//! as numbers, never-happened times as `null`). To add a family: add its flags, make its
//! sections in [`run`], and it slots into both outputs.

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;
use ipckit::inspect::sysv as inspect;
use ipckit::sysv::msg::MessageQueue;
use ipckit::sysv::sem::SemaphoreSet;
use ipckit::sysv::Perm;
use serde_json::{json, Map, Value};

use super::{perms_string, time_string, unix_secs, user_name, write_table};

/// Flags of `ipckit ls`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("sysv").multiple(true))]
#[command(group = clap::ArgGroup::new("posix").multiple(true))]
pub struct LsArgs {
    /// System V message queues (with no kind flag, every kind is listed).
    #[arg(short = 'q', long = "queues", group = "sysv")]
    pub queues: bool,
    /// System V shared-memory segments.
    #[arg(short = 'm', long = "shmems", group = "sysv")]
    pub shmems: bool,
    /// System V semaphore sets.
    #[arg(short = 's', long = "semaphores", group = "sysv")]
    pub semaphores: bool,
    /// POSIX message queues (from the mqueue filesystem; see --mount-mqueue).
    #[arg(short = 'Q', long = "posix-mqueues", group = "posix")]
    pub posix_mqueues: bool,
    /// POSIX shared memory (/dev/shm, without the sem.* files).
    #[arg(short = 'M', long = "posix-shmems", group = "posix")]
    pub posix_shmems: bool,
    /// POSIX named semaphores (/dev/shm/sem.*), with their values.
    #[arg(short = 'S', long = "posix-semaphores", group = "posix")]
    pub posix_semaphores: bool,
    /// Mount the mqueue filesystem at /dev/mqueue first if it is not mounted anywhere (needs
    /// root), so POSIX message queues can be listed. It stays mounted.
    #[arg(long)]
    pub mount_mqueue: bool,
    /// Show one object in detail, by id (with exactly one of -q, -m, -s); for a semaphore
    /// set also each semaphore's value, ncnt, zcnt and last pid.
    #[arg(short = 'i', long = "id", value_name = "ID", conflicts_with = "posix")]
    pub id: Option<i32>,
    /// Print JSON: {"sysv": {"queues": [...], "segments": [...], "semaphores": [...]},
    /// "posix": {"queues": [...], "segments": [...], "semaphores": [...]}}, with numbers as
    /// numbers, times as Unix seconds (null: never) and keys as numbers (key_hex as ipcs
    /// shows them). POSIX names keep their leading slash.
    #[arg(long)]
    pub json: bool,
}

/// One listed kind of object: a titled table and the same objects as JSON.
pub struct Section {
    /// The JSON family key (`sysv`).
    pub family: &'static str,
    /// The JSON key of this kind within the family (`queues`).
    pub name: &'static str,
    /// The title above the table.
    pub title: &'static str,
    /// Column names.
    pub header: &'static [&'static str],
    /// Table cells, one row per object.
    pub rows: Vec<Vec<String>>,
    /// The objects as JSON.
    pub items: Vec<Value>,
}

/// Runs `ipckit ls`.
pub fn run(args: LsArgs) -> anyhow::Result<ExitCode> {
    if let Some(id) = args.id {
        return detail(&args, id);
    }
    let posix_any = args.posix_mqueues || args.posix_shmems || args.posix_semaphores;
    let any = args.queues || args.shmems || args.semaphores || posix_any;
    let mut sections = Vec::new();
    if !any || args.queues {
        sections.push(queues()?);
    }
    if !any || args.shmems {
        sections.push(segments()?);
    }
    if !any || args.semaphores {
        sections.push(sets()?);
    }
    if !any || args.posix_mqueues {
        sections.extend(super::posix::queues(args.mount_mqueue)?);
    } else if args.mount_mqueue {
        // Asked to mount without asking for queues: mount, list nothing more.
        super::posix::queues(true)?;
    }
    if !any || args.posix_shmems {
        sections.push(super::posix::segments()?);
    }
    if !any || args.posix_semaphores {
        sections.push(super::posix::semaphores()?);
    }
    print_sections(&sections, args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints sections as titled tables, or as JSON grouped by family.
pub fn print_sections(sections: &[Section], as_json: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if as_json {
        let mut root = Map::new();
        for s in sections {
            let fam = root
                .entry(s.family)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = fam {
                m.insert(s.name.to_string(), Value::Array(s.items.clone()));
            }
        }
        serde_json::to_writer_pretty(&mut out, &Value::Object(root))?;
        writeln!(out)?;
    } else {
        for (i, s) in sections.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            writeln!(out, "{}", s.title)?;
            write_table(&mut out, s.header, &s.rows)?;
        }
    }
    out.flush()
}

fn key_u32(perm: &Perm) -> u32 {
    perm.key.raw() as u32
}

/// The JSON fields every System V object has.
fn common_json(id: i32, perm: &Perm) -> Map<String, Value> {
    let v = json!({
        "key": key_u32(perm),
        "key_hex": perm.key.to_string(),
        "id": id,
        "perms": perms_string(perm.mode),
        "mode": perm.mode,
        "owner": user_name(perm.uid),
        "uid": perm.uid,
        "gid": perm.gid,
        "cuid": perm.cuid,
        "cgid": perm.cgid,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn common_cells(id: i32, perm: &Perm) -> Vec<String> {
    vec![
        perm.key.to_string(),
        id.to_string(),
        perms_string(perm.mode),
        user_name(perm.uid),
    ]
}

fn with(mut m: Map<String, Value>, extra: Value) -> Value {
    if let Value::Object(e) = extra {
        m.extend(e);
    }
    Value::Object(m)
}

fn queue_json(q: &inspect::QueueInfo) -> Value {
    with(
        common_json(q.id, &q.perm),
        json!({
            "usedbytes": q.cbytes,
            "msgs": q.qnum,
            "lspid": q.lspid,
            "lrpid": q.lrpid,
            "stime": unix_secs(q.stime),
            "rtime": unix_secs(q.rtime),
            "ctime": unix_secs(q.ctime),
        }),
    )
}

fn segment_status(s: &inspect::SegmentInfo) -> Option<&'static str> {
    match (s.dest, s.locked) {
        (true, true) => Some("dest,locked"),
        (true, false) => Some("dest"),
        (false, true) => Some("locked"),
        (false, false) => None,
    }
}

fn segment_json(s: &inspect::SegmentInfo) -> Value {
    with(
        common_json(s.id, &s.perm),
        json!({
            "size": s.size,
            "nattch": s.nattch,
            "status": segment_status(s),
            "dest": s.dest,
            "locked": s.locked,
            "cpid": s.cpid,
            "lpid": s.lpid,
            "atime": unix_secs(s.atime),
            "dtime": unix_secs(s.dtime),
            "ctime": unix_secs(s.ctime),
            "rss": s.rss,
            "swap": s.swap,
        }),
    )
}

fn set_json(s: &inspect::SetInfo) -> Value {
    with(
        common_json(s.id, &s.perm),
        json!({
            "nsems": s.nsems,
            "otime": unix_secs(s.otime),
            "ctime": unix_secs(s.ctime),
        }),
    )
}

/// The System V message queues section.
pub fn queues() -> anyhow::Result<Section> {
    let all = inspect::queues()?;
    Ok(Section {
        family: "sysv",
        name: "queues",
        title: "System V message queues",
        header: &[
            "KEY",
            "ID",
            "PERMS",
            "OWNER",
            "USEDBYTES",
            "MSGS",
            "LSPID",
            "LRPID",
        ],
        rows: all
            .iter()
            .map(|q| {
                let mut r = common_cells(q.id, &q.perm);
                r.extend([
                    q.cbytes.to_string(),
                    q.qnum.to_string(),
                    q.lspid.to_string(),
                    q.lrpid.to_string(),
                ]);
                r
            })
            .collect(),
        items: all.iter().map(queue_json).collect(),
    })
}

/// The System V shared-memory section.
pub fn segments() -> anyhow::Result<Section> {
    let all = inspect::segments()?;
    Ok(Section {
        family: "sysv",
        name: "segments",
        title: "System V shared memory",
        header: &[
            "KEY", "ID", "PERMS", "OWNER", "SIZE", "NATTCH", "STATUS", "CPID", "LPID",
        ],
        rows: all
            .iter()
            .map(|s| {
                let mut r = common_cells(s.id, &s.perm);
                r.extend([
                    s.size.to_string(),
                    s.nattch.to_string(),
                    segment_status(s).unwrap_or("-").to_string(),
                    s.cpid.to_string(),
                    s.lpid.to_string(),
                ]);
                r
            })
            .collect(),
        items: all.iter().map(segment_json).collect(),
    })
}

/// The System V semaphore sets section.
pub fn sets() -> anyhow::Result<Section> {
    let all = inspect::sets()?;
    Ok(Section {
        family: "sysv",
        name: "semaphores",
        title: "System V semaphore sets",
        header: &["KEY", "ID", "PERMS", "OWNER", "NSEMS", "OTIME"],
        rows: all
            .iter()
            .map(|s| {
                let mut r = common_cells(s.id, &s.perm);
                r.extend([s.nsems.to_string(), time_string(s.otime)]);
                r
            })
            .collect(),
        items: all.iter().map(set_json).collect(),
    })
}

/// `ls -q|-m|-s -i ID`.
fn detail(args: &LsArgs, id: i32) -> anyhow::Result<ExitCode> {
    let kinds = [args.queues, args.shmems, args.semaphores];
    if kinds.iter().filter(|&&k| k).count() != 1 {
        bail!("ls -i ID: say which kind of object with exactly one of -q, -m, -s");
    }
    let not_listed = |what: &str| anyhow::anyhow!("ls -i {id}: no System V {what} has id {id}");
    let mut value = if args.queues {
        let q = inspect::queues()?
            .into_iter()
            .find(|q| q.id == id)
            .ok_or_else(|| not_listed("message queue"))?;
        let mut v = queue_json(&q);
        // qbytes is only in msgctl(IPC_STAT) (needs read permission).
        if let Ok(st) = MessageQueue::from_id(id).and_then(|h| h.stat()) {
            v["qbytes"] = json!(st.qbytes);
        }
        v
    } else if args.shmems {
        let s = inspect::segments()?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| not_listed("shared-memory segment"))?;
        segment_json(&s)
    } else {
        let s = inspect::sets()?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| not_listed("semaphore set"))?;
        let mut v = set_json(&s);
        let set = SemaphoreSet::from_id(id)?;
        let values = set.values()?;
        let mut sems = Vec::new();
        for (n, value) in values.iter().enumerate() {
            let n = n as u16;
            sems.push(json!({
                "semnum": n,
                "value": value,
                "ncnt": set.ncnt(n)?,
                "zcnt": set.zcnt(n)?,
                "pid": set.pid(n)?,
            }));
        }
        v["elements"] = Value::Array(sems);
        v
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let elements = value.as_object_mut().and_then(|m| m.remove("elements"));
    if let Value::Object(m) = &value {
        let width = m.keys().map(String::len).max().unwrap_or(0) + 1;
        for (k, v) in m {
            let shown = match (k.as_str(), v) {
                (_, Value::Null) => "-".to_string(),
                (k, Value::Number(n)) if k.ends_with("time") => time_string(
                    n.as_u64()
                        .map(|s| std::time::UNIX_EPOCH + std::time::Duration::from_secs(s)),
                ),
                ("mode", Value::Number(n)) => format!("{:04o}", n.as_u64().unwrap_or(0)),
                (_, Value::String(s)) => s.clone(),
                (_, v) => v.to_string(),
            };
            writeln!(out, "{:width$} {shown}", format!("{k}:"))?;
        }
    }
    if let Some(Value::Array(sems)) = elements {
        writeln!(out)?;
        let rows: Vec<Vec<String>> = sems
            .iter()
            .map(|s| {
                ["semnum", "value", "ncnt", "zcnt", "pid"]
                    .iter()
                    .map(|k| s[*k].to_string())
                    .collect()
            })
            .collect();
        write_table(&mut out, &["SEMNUM", "VALUE", "NCNT", "ZCNT", "PID"], &rows)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
