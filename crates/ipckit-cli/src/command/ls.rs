//! `ipckit ls`: list kernel IPC objects, or show one in detail (util-linux's formats are
//! `ipckit ipcs`, in `ipcs.rs`).
//!
//! The objects come typed from `ipckit::inspect`; this file only presents them. Output is
//! built as [`Section`]s, one per kind of object, grouped by family (`sysv`, `posix`): the
//! table shows each section under its title with `lsipc` 2.41's columns; `--json` prints
//! `{"<family>": {"<section>": [objects...]}}` with typed values (numbers as numbers,
//! never-happened times as `null`), each object a `#[derive(Serialize)]` view below. To add a
//! family: add its flags, make its sections in [`run`], and it slots into both outputs.
//!
//! The views are the CLI's own rather than `Serialize` on the library's rows because the JSON
//! is a presentation: user names, `rw-------`, `key_hex`, Unix seconds and a flat object,
//! where the library keeps typed values (`Perm`, `SystemTime`, `Option`s) with no opinion
//! about how they are shown.
//!
//! POSIX names are always shown with their leading slash (`/orders`), for all three kinds:
//! the string a program passes to `mq_open`, `shm_open` and `sem_open` (see
//! `ipckit::inspect::posix`).

use std::io::Write;
use std::process::ExitCode;

use std::path::Path;

use anyhow::bail;
use ipckit::inspect::{posix, sysv};
use ipckit::sysv::msg::MessageQueue;
use ipckit::sysv::Perm;
use ipckit::ErrorKind;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::present::{perms_string, time_string, unix_secs, user_name, write_table};

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
    /// POSIX message queues (from the mqueue filesystem; if it is not mounted, as root
    /// through a private mount namespace that leaves this system's mounts alone; see also
    /// --mount-mqueue).
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
    /// "posix": {"queues": [...], "mqueue": {"mounted", "path", "listed", "via"}, "segments":
    /// [...], "semaphores": [...]}} ("queues": null where they cannot be listed), with numbers as
    /// numbers, times as Unix seconds (null: never) and keys as numbers (key_hex as ipcs
    /// shows them). POSIX names keep their leading slash.
    #[arg(long)]
    pub json: bool,
    /// List leftovers of dead processes instead: Unix socket files nobody listens on (a
    /// connect is refused) and System V shared-memory segments whose creator is dead and that
    /// nobody attaches. See TARGETS for where it looks; `ipckit rm --stale` removes them.
    /// JSON: {"stale": {"sockets": [{"path": ...}], "segments": [...]}}.
    #[arg(long, conflicts_with_all = ["id", "sysv", "posix", "mount_mqueue"])]
    pub stale: bool,
    /// With --stale: directories whose socket files are probed (not recursively) and System V
    /// keys whose segments are checked; an existing directory is a DIR, anything else a KEY.
    /// Without any: the current directory, $XDG_RUNTIME_DIR and /tmp, and every segment. With
    /// DIRs only no segments are checked; with KEYs only no directory is probed.
    #[arg(value_name = "DIR|KEY", requires = "stale")]
    pub targets: Vec<String>,
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
    /// Why the objects could not be listed (`None`: they were): the table says so under the
    /// title and the JSON has `null` in place of the list.
    pub unlisted: Option<String>,
    /// More JSON for the family beside the list: `(key, value)` (POSIX queues: `mqueue`).
    pub meta: Option<(&'static str, Value)>,
}

/// Runs `ipckit ls`.
pub fn run(args: LsArgs) -> anyhow::Result<ExitCode> {
    if args.stale {
        let found = find_stale(&crate::parse::stale_targets(&args.targets)?)?;
        print_sections(&stale_sections(&found), args.json)?;
        return Ok(ExitCode::SUCCESS);
    }
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
        sections.extend(posix_queues(args.mount_mqueue)?);
    } else if args.mount_mqueue {
        // Asked to mount without asking for queues: mount, list nothing more.
        posix_queues(true)?;
    }
    if !any || args.posix_shmems {
        sections.push(posix_segments()?);
    }
    if !any || args.posix_semaphores {
        sections.push(posix_semaphores()?);
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
                let list = match s.unlisted {
                    None => Value::Array(s.items.clone()),
                    Some(_) => Value::Null,
                };
                m.insert(s.name.to_string(), list);
                if let Some((key, meta)) = &s.meta {
                    m.insert(key.to_string(), meta.clone());
                }
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
            match &s.unlisted {
                None => write_table(&mut out, s.header, &s.rows)?,
                Some(why) => writeln!(out, "(not listed: {why})")?,
            }
        }
    }
    out.flush()
}

/// The JSON fields every System V object has.
#[derive(Serialize)]
struct SysvCommon {
    /// The key as an unsigned number (`ipcs` prints it in hex: `key_hex`).
    key: u32,
    key_hex: String,
    id: i32,
    /// `rw-------`.
    perms: String,
    mode: u32,
    /// The owner's user name (the number if it has none).
    owner: String,
    uid: u32,
    gid: u32,
    cuid: u32,
    cgid: u32,
}

impl SysvCommon {
    fn new(id: i32, perm: &Perm) -> SysvCommon {
        SysvCommon {
            key: perm.key.raw() as u32,
            key_hex: perm.key.to_string(),
            id,
            perms: perms_string(perm.mode),
            mode: perm.mode,
            owner: user_name(perm.uid),
            uid: perm.uid,
            gid: perm.gid,
            cuid: perm.cuid,
            cgid: perm.cgid,
        }
    }
}

/// A System V message queue in `--json`; times in Unix seconds, `null` for never.
#[derive(Serialize)]
struct QueueView {
    #[serde(flatten)]
    common: SysvCommon,
    usedbytes: u64,
    msgs: u64,
    lspid: i32,
    lrpid: i32,
    stime: Option<u64>,
    rtime: Option<u64>,
    ctime: Option<u64>,
    /// Only in `ls -q -i ID`: it needs `msgctl(IPC_STAT)` (read permission).
    #[serde(skip_serializing_if = "Option::is_none")]
    qbytes: Option<u64>,
}

impl QueueView {
    fn new(q: &sysv::QueueInfo) -> QueueView {
        QueueView {
            common: SysvCommon::new(q.id, &q.perm),
            usedbytes: q.cbytes,
            msgs: q.qnum,
            lspid: q.lspid,
            lrpid: q.lrpid,
            stime: unix_secs(q.stime),
            rtime: unix_secs(q.rtime),
            ctime: unix_secs(q.ctime),
            qbytes: None,
        }
    }
}

fn segment_status(s: &sysv::SegmentInfo) -> Option<&'static str> {
    match (s.dest, s.locked) {
        (true, true) => Some("dest,locked"),
        (true, false) => Some("dest"),
        (false, true) => Some("locked"),
        (false, false) => None,
    }
}

/// A System V shared-memory segment in `--json`.
#[derive(Serialize)]
struct SegmentView {
    #[serde(flatten)]
    common: SysvCommon,
    size: u64,
    nattch: u64,
    /// `dest`, `locked`, `dest,locked` or `null`.
    status: Option<&'static str>,
    dest: bool,
    locked: bool,
    cpid: i32,
    lpid: i32,
    atime: Option<u64>,
    dtime: Option<u64>,
    ctime: Option<u64>,
    rss: u64,
    swap: u64,
}

impl SegmentView {
    fn new(s: &sysv::SegmentInfo) -> SegmentView {
        SegmentView {
            common: SysvCommon::new(s.id, &s.perm),
            size: s.size,
            nattch: s.nattch,
            status: segment_status(s),
            dest: s.dest,
            locked: s.locked,
            cpid: s.cpid,
            lpid: s.lpid,
            atime: unix_secs(s.atime),
            dtime: unix_secs(s.dtime),
            ctime: unix_secs(s.ctime),
            rss: s.rss,
            swap: s.swap,
        }
    }
}

/// One semaphore of a set in `ls -s -i ID --json` (`elements`).
#[derive(Serialize)]
struct ElementView {
    semnum: u16,
    value: u16,
    ncnt: u32,
    zcnt: u32,
    pid: i32,
}

/// A System V semaphore set in `--json`.
#[derive(Serialize)]
struct SetView {
    #[serde(flatten)]
    common: SysvCommon,
    nsems: u64,
    otime: Option<u64>,
    ctime: Option<u64>,
    /// Only in `ls -s -i ID`: each semaphore.
    #[serde(skip_serializing_if = "Option::is_none")]
    elements: Option<Vec<ElementView>>,
}

impl SetView {
    fn new(s: &sysv::SetInfo) -> SetView {
        SetView {
            common: SysvCommon::new(s.id, &s.perm),
            nsems: s.nsems,
            otime: unix_secs(s.otime),
            ctime: unix_secs(s.ctime),
            elements: None,
        }
    }
}

/// The JSON fields every POSIX object has.
#[derive(Serialize)]
struct PosixCommon {
    /// With its leading slash.
    name: String,
    perms: String,
    mode: u32,
    owner: String,
    uid: u32,
    gid: u32,
    mtime: Option<u64>,
}

impl PosixCommon {
    fn new(c: &posix::Common) -> PosixCommon {
        PosixCommon {
            name: c.name.clone(),
            perms: perms_string(c.perms),
            mode: c.perms,
            owner: user_name(c.uid),
            uid: c.uid,
            gid: c.gid,
            mtime: unix_secs(Some(c.mtime)),
        }
    }
}

/// A POSIX message queue in `--json`; what this process may not open is `null`.
#[derive(Serialize)]
struct MqView {
    #[serde(flatten)]
    common: PosixCommon,
    usedbytes: u64,
    msgs: Option<u64>,
    maxmsg: Option<u64>,
    msgsize: Option<u64>,
    notify_pid: Option<u32>,
}

/// A POSIX shared-memory object in `--json`.
#[derive(Serialize)]
struct ShmView {
    #[serde(flatten)]
    common: PosixCommon,
    size: u64,
}

/// A POSIX named semaphore in `--json`.
#[derive(Serialize)]
struct SemView {
    #[serde(flatten)]
    common: PosixCommon,
    value: Option<u32>,
}

/// A view as a JSON value (an object, its keys sorted as every other JSON of ipckit).
fn to_json(view: &impl Serialize) -> Value {
    serde_json::to_value(view).expect("a view serializes: string keys, no failing fields")
}

fn common_cells(id: i32, perm: &Perm) -> Vec<String> {
    vec![
        perm.key.to_string(),
        id.to_string(),
        perms_string(perm.mode),
        user_name(perm.uid),
    ]
}

fn posix_cells(c: &posix::Common) -> Vec<String> {
    vec![c.name.clone(), perms_string(c.perms), user_name(c.uid)]
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// The System V message queues section.
pub fn queues() -> anyhow::Result<Section> {
    let all = sysv::queues()?;
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
        items: all.iter().map(|q| to_json(&QueueView::new(q))).collect(),
        unlisted: None,
        meta: None,
    })
}

/// The System V shared-memory section.
pub fn segments() -> anyhow::Result<Section> {
    let all = sysv::segments()?;
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
        items: all.iter().map(|s| to_json(&SegmentView::new(s))).collect(),
        unlisted: None,
        meta: None,
    })
}

/// The System V semaphore sets section.
pub fn sets() -> anyhow::Result<Section> {
    let all = sysv::sets()?;
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
        items: all.iter().map(|s| to_json(&SetView::new(s))).collect(),
        unlisted: None,
        meta: None,
    })
}

/// The POSIX message queues section. Listed through the mounted mqueue filesystem, else (as
/// root) through a private mount namespace that never touches this system's mounts
/// (`ipckit::inspect::posix::list_mq_anywhere`); otherwise the section says why not, and the
/// JSON has `"queues": null`. Beside the list, the JSON has `"mqueue": {"mounted": bool,
/// "path": "/dev/mqueue"|null, "listed": bool, "via": "mount"|"private mount
/// namespace"|null}`. With `mount`, mounts it at `/dev/mqueue` first if needed (root only).
pub fn posix_queues(mount: bool) -> anyhow::Result<Option<Section>> {
    if mount && posix::mqueue_mount().is_none() {
        posix::mount_mqueue(Path::new(posix::MQUEUE_DIR))?;
        eprintln!(
            "ipckit: mounted the mqueue filesystem at {}",
            posix::MQUEUE_DIR
        );
    }
    let mounted = posix::mqueue_mount();
    let meta = |listed: bool, via: Option<&str>| {
        serde_json::json!({
            "mounted": mounted.is_some(),
            "path": mounted.as_ref().map(|p| p.display().to_string()),
            "listed": listed,
            "via": via,
        })
    };
    let (all, via) = match posix::list_mq_anywhere() {
        Ok((all, posix::MqSource::Mounted(_))) => (all, "mount"),
        Ok((all, _)) => (all, "private mount namespace"),
        Err(e) if e.kind() == ErrorKind::NotFound && mounted.is_none() => {
            return Ok(Some(Section {
                family: "posix",
                name: "queues",
                title: "POSIX message queues",
                header: &[],
                rows: Vec::new(),
                items: Vec::new(),
                unlisted: Some(e.to_string()),
                meta: Some(("mqueue", meta(false, None))),
            }));
        }
        Err(e) => return Err(e.into()),
    };
    let meta = Some(("mqueue", meta(true, Some(via))));
    Ok(Some(Section {
        family: "posix",
        name: "queues",
        title: "POSIX message queues",
        header: &["NAME", "PERMS", "OWNER", "USEDBYTES", "MSGS", "MTIME"],
        rows: all
            .iter()
            .map(|q| {
                let mut r = posix_cells(&q.common);
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
                to_json(&MqView {
                    common: PosixCommon::new(&q.common),
                    usedbytes: q.used_bytes,
                    msgs: q.msgs,
                    maxmsg: q.maxmsg,
                    msgsize: q.msgsize,
                    notify_pid: q.notify_pid,
                })
            })
            .collect(),
        unlisted: None,
        meta,
    }))
}

/// The POSIX shared memory section (`/dev/shm` without `sem.*`).
pub fn posix_segments() -> anyhow::Result<Section> {
    let all = posix::list_shm()?;
    Ok(Section {
        family: "posix",
        name: "segments",
        title: "POSIX shared memory",
        header: &["NAME", "PERMS", "OWNER", "SIZE", "MTIME"],
        rows: all
            .iter()
            .map(|s| {
                let mut r = posix_cells(&s.common);
                r.extend([s.size.to_string(), time_string(Some(s.common.mtime))]);
                r
            })
            .collect(),
        items: all
            .iter()
            .map(|s| {
                to_json(&ShmView {
                    common: PosixCommon::new(&s.common),
                    size: s.size,
                })
            })
            .collect(),
        unlisted: None,
        meta: None,
    })
}

/// The POSIX named semaphores section (`/dev/shm/sem.*`, with values).
pub fn posix_semaphores() -> anyhow::Result<Section> {
    let all = posix::list_sem()?;
    Ok(Section {
        family: "posix",
        name: "semaphores",
        title: "POSIX semaphores",
        header: &["NAME", "PERMS", "OWNER", "SVAL", "MTIME"],
        rows: all
            .iter()
            .map(|s| {
                let mut r = posix_cells(&s.common);
                r.extend([
                    opt(s.value.map(u64::from)),
                    time_string(Some(s.common.mtime)),
                ]);
                r
            })
            .collect(),
        items: all
            .iter()
            .map(|s| {
                to_json(&SemView {
                    common: PosixCommon::new(&s.common),
                    value: s.value,
                })
            })
            .collect(),
        unlisted: None,
        meta: None,
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
        let q = sysv::queue(id)?.ok_or_else(|| not_listed("message queue"))?;
        let mut v = QueueView::new(&q);
        // qbytes is only in msgctl(IPC_STAT) (needs read permission).
        v.qbytes = MessageQueue::from_id(id)
            .and_then(|h| h.stat())
            .ok()
            .map(|st| st.qbytes);
        to_json(&v)
    } else if args.shmems {
        let s = sysv::segment(id)?.ok_or_else(|| not_listed("shared-memory segment"))?;
        to_json(&SegmentView::new(&s))
    } else {
        let s = sysv::set(id)?.ok_or_else(|| not_listed("semaphore set"))?;
        let mut v = SetView::new(&s);
        let elements = sysv::semaphores(id)?.into_iter().map(|e| ElementView {
            semnum: e.semnum,
            value: e.value,
            ncnt: e.ncnt,
            zcnt: e.zcnt,
            pid: e.pid,
        });
        v.elements = Some(elements.collect());
        to_json(&v)
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
        for (k, v) in in_detail_order(m, kind_fields(args)) {
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

/// The fields every System V object shows first in `ls -i`, in the order of `lsipc -i`
/// (key, id, owner, permissions, creator, owner ids, last change), before its kind's own.
const COMMON_ORDER: &[&str] = &[
    "key", "key_hex", "id", "owner", "perms", "mode", "cuid", "cgid", "uid", "gid", "ctime",
];

/// The kind's own fields in `ls -i`, in the order `lsipc -i` / `ipcs -i` show them.
fn kind_fields(args: &LsArgs) -> &'static [&'static str] {
    if args.queues {
        &[
            "usedbytes",
            "qbytes",
            "msgs",
            "lspid",
            "lrpid",
            "stime",
            "rtime",
        ]
    } else if args.shmems {
        &[
            "size", "nattch", "status", "dest", "locked", "cpid", "lpid", "atime", "dtime", "rss",
            "swap",
        ]
    } else {
        &["nsems", "otime"]
    }
}

/// The fields of `m` in `ls -i`'s order: [`COMMON_ORDER`], then `kind`, then any other
/// (sorted), so a field added to a view is never dropped.
fn in_detail_order<'a>(m: &'a Map<String, Value>, kind: &[&str]) -> Vec<(&'a String, &'a Value)> {
    let order: Vec<&str> = COMMON_ORDER.iter().chain(kind).copied().collect();
    let mut fields: Vec<(&String, &Value)> = m.iter().collect();
    fields.sort_by_key(|(k, _)| order.iter().position(|o| o == k).unwrap_or(order.len()));
    fields
}

/// What `--stale` found: socket files and segments.
#[derive(Debug, Default)]
pub struct Stale {
    /// Socket files nobody listens on.
    pub sockets: Vec<std::path::PathBuf>,
    /// Segments with a dead creator and no attachment.
    pub segments: Vec<sysv::SegmentInfo>,
}

/// Finds the stale objects `targets` names (see `LsArgs::targets`), through
/// `ipckit::inspect`.
pub fn find_stale(targets: &crate::parse::StaleTargets) -> anyhow::Result<Stale> {
    let mut found = Stale::default();
    for dir in &targets.dirs {
        found.sockets.extend(ipckit::inspect::stale_sockets(dir)?);
    }
    if let Some(keys) = &targets.keys {
        found.segments = sysv::stale_segments(keys)?;
    }
    Ok(found)
}

/// A socket file in `ls --stale --json`.
#[derive(Serialize)]
struct SocketView {
    path: String,
}

/// `--stale`'s two sections: socket files, then segments (as `ls -m` shows them).
pub fn stale_sections(found: &Stale) -> Vec<Section> {
    let paths: Vec<String> = found
        .sockets
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    vec![
        Section {
            family: "stale",
            name: "sockets",
            title: "Stale Unix socket files (nobody listens)",
            header: &["PATH"],
            rows: paths.iter().map(|p| vec![p.clone()]).collect(),
            items: paths
                .iter()
                .map(|p| to_json(&SocketView { path: p.clone() }))
                .collect(),
            unlisted: None,
            meta: None,
        },
        Section {
            family: "stale",
            name: "segments",
            title: "Stale System V shared memory (creator dead, not attached)",
            header: &["KEY", "ID", "PERMS", "OWNER", "SIZE", "CPID", "LPID"],
            rows: found
                .segments
                .iter()
                .map(|s| {
                    let mut r = common_cells(s.id, &s.perm);
                    r.extend([s.size.to_string(), s.cpid.to_string(), s.lpid.to_string()]);
                    r
                })
                .collect(),
            items: found
                .segments
                .iter()
                .map(|s| to_json(&SegmentView::new(s)))
                .collect(),
            unlisted: None,
            meta: None,
        },
    ]
}
