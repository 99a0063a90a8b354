//! `ipckit ipcs`: util-linux's `ipcs` (2.38), same flags and same output, byte for byte.
//!
//! The objects come from `ipckit::inspect::sysv` (`/proc/sysvipc`, what util-linux reads too);
//! this file formats them with util-linux's banners, column headers and `printf` widths
//! (`sys-utils/ipcs.c`, `ipcutils.c`): `%-10.10s` owners, `0x%08x` keys, `ctime(3)` times in
//! local time. The `-u` summary counts what `msgctl(MSG_INFO)`, `shmctl(SHM_INFO)` and
//! `semctl(SEM_INFO)` report from the same listing: queues, messages and bytes; segments and
//! their pages (allocated, resident, swapped); sets and semaphores. `ipckit ls` is the
//! lsipc-like listing with POSIX objects and JSON; this is the one scripts written for
//! `ipcs` can parse.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::SystemTime;

use ipckit::inspect::sysv;
use ipckit::sysv::msg::MessageQueue;

/// Flags of `ipckit ipcs` (util-linux's; the last output flag wins, as there).
#[derive(Debug, clap::Args)]
pub struct IpcsArgs {
    /// Print details on the resource with this id (with exactly one of -q, -m, -s).
    #[arg(
        short = 'i',
        long = "id",
        value_name = "ID",
        allow_negative_numbers = true
    )]
    pub id: Option<i32>,
    /// Message queues.
    #[arg(short = 'q', long = "queues")]
    pub queues: bool,
    /// Shared memory segments.
    #[arg(short = 'm', long = "shmems")]
    pub shmems: bool,
    /// Semaphores.
    #[arg(short = 's', long = "semaphores")]
    pub semaphores: bool,
    /// All (default).
    #[arg(short = 'a', long = "all")]
    pub all: bool,
    /// Show attach, detach and change times.
    #[arg(short = 't', long = "time", overrides_with_all = ["pid", "creator", "limits", "summary"])]
    pub time: bool,
    /// Show PIDs of creator and last operator.
    #[arg(short = 'p', long = "pid", overrides_with_all = ["time", "creator", "limits", "summary"])]
    pub pid: bool,
    /// Show creator and owner.
    #[arg(short = 'c', long = "creator", overrides_with_all = ["time", "pid", "limits", "summary"])]
    pub creator: bool,
    /// Show resource limits.
    #[arg(short = 'l', long = "limits", overrides_with_all = ["time", "pid", "creator", "summary"])]
    pub limits: bool,
    /// Show status summary.
    #[arg(short = 'u', long = "summary", overrides_with_all = ["time", "pid", "creator", "limits"])]
    pub summary: bool,
    /// Show sizes in human-readable format (4K, 1.5M).
    #[arg(long = "human", overrides_with = "bytes")]
    pub human: bool,
    /// Show sizes in bytes.
    #[arg(short = 'b', long = "bytes", overrides_with = "human")]
    pub bytes: bool,
}

/// Which table: util-linux's `enum output_formats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Default,
    Limits,
    Status,
    Creator,
    Time,
    Pid,
}

/// How sizes are printed: util-linux's `IPC_UNIT_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Default,
    Bytes,
    Kb,
    Human,
}

/// Runs `ipckit ipcs`.
pub fn run(args: IpcsArgs) -> anyhow::Result<ExitCode> {
    let format = if args.time {
        Format::Time
    } else if args.pid {
        Format::Pid
    } else if args.creator {
        Format::Creator
    } else if args.limits {
        Format::Limits
    } else if args.summary {
        Format::Status
    } else {
        Format::Default
    };
    let unit = if args.human {
        Unit::Human
    } else if args.bytes {
        Unit::Bytes
    } else {
        Unit::Default
    };
    let (mut msg, mut shm, mut sem) = (args.queues, args.shmems, args.semaphores);
    if args.all {
        (msg, shm, sem) = (true, true, true);
    }
    let mut out = String::new();
    if let Some(id) = args.id {
        if [msg, shm, sem].iter().filter(|&&k| k).count() != 1 {
            eprintln!("ipckit ipcs: when using an ID, a single resource must be specified");
            return Ok(ExitCode::FAILURE);
        }
        let found = if msg {
            print_msg(&mut out, id, unit)?
        } else if shm {
            print_shm(&mut out, id, unit)?
        } else {
            print_sem(&mut out, id)?
        };
        if !found {
            eprintln!("ipckit ipcs: id {id} not found");
        }
    } else {
        if !msg && !shm && !sem {
            (msg, shm, sem) = (true, true, true);
        }
        out.push('\n');
        if msg {
            do_msg(&mut out, format, unit)?;
            out.push('\n');
        }
        if shm {
            do_shm(&mut out, format, unit)?;
            out.push('\n');
        }
        if sem {
            do_sem(&mut out, format)?;
            out.push('\n');
        }
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `getpwuid(uid)->pw_name`, if the user has a name.
fn user(uid: u32) -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
}

/// `getgrgid(gid)->gr_name`, if the group has a name.
fn group(gid: u32) -> Option<String> {
    nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
        .ok()
        .flatten()
        .map(|g| g.name)
}

/// `"%-{w}d %-10.10s"` of id and owner name (`%-10u` of the uid without one).
fn id_owner(out: &mut String, w: usize, id: i32, uid: u32) {
    match user(uid) {
        Some(name) => write!(out, "{id:<w$} {name:<10.10}"),
        None => write!(out, "{id:<w$} {uid:<10}"),
    }
    .expect("writing to a String");
}

/// util-linux's `ipc_print_perms`: id, mode, then creator and owner by name.
fn print_perms(out: &mut String, id: i32, p: &ipckit::sysv::Perm) {
    let name = |n: Option<String>, v: u32| n.unwrap_or_else(|| v.to_string());
    let _ = writeln!(
        out,
        "{id:<10} {:<10o} {:<10} {:<10} {:<10} {:<10}",
        p.mode & 0o777,
        name(user(p.cuid), p.cuid),
        name(group(p.cgid), p.cgid),
        name(user(p.uid), p.uid),
        name(group(p.gid), p.gid),
    );
}

/// `ctime(3)` without its newline, in local time: `Thu Dec  3 10:24:48 2026`.
fn ctime(t: SystemTime) -> String {
    let local: chrono::DateTime<chrono::Local> = t.into();
    local.format("%a %b %e %H:%M:%S %Y").to_string()
}

/// `%-{w}.{p}s` of `ctime(t) + skip`, or of "Not set" for a time that never happened.
fn time_cell(t: Option<SystemTime>, skip: usize, w: usize, p: usize) -> String {
    let s = t.map_or_else(|| "Not set".to_string(), |t| ctime(t)[skip..].to_string());
    format!("{s:<w$.p$}")
}

/// `%#o`: `0` for zero, else a leading `0`.
fn alt_octal(m: u32) -> String {
    if m == 0 {
        "0".into()
    } else {
        format!("0{m:o}")
    }
}

/// util-linux's `size_to_human_string(SIZE_SUFFIX_1LETTER, bytes)`: `977B`, `4K`, `1.5M`.
pub fn human(bytes: u64) -> String {
    let letters = b"BKMGTPE";
    let mut exp = 0u32;
    for shift in (10..=60).step_by(10) {
        if bytes < 1u64 << shift {
            break;
        }
        exp = shift;
    }
    let c = letters[(exp / 10) as usize] as char;
    let mut dec = if exp > 0 { bytes >> exp } else { bytes };
    let mut frac = if exp > 0 {
        bytes & ((1u64 << exp) - 1)
    } else {
        0
    };
    if frac != 0 {
        frac = if frac >= u64::MAX / 1000 {
            ((frac / 1024) * 1000) / (1u64 << (exp - 10))
        } else {
            (frac * 1000) / (1u64 << exp)
        };
        // Round to one digit after the point, as util-linux.
        frac = (frac + 50) / 100 * 10;
        if frac == 100 {
            dec += 1;
            frac = 0;
        }
    }
    if frac != 0 {
        let mut s = format!("{dec}.{frac:02}");
        if s.ends_with('0') {
            s.pop();
        }
        format!("{s}{c}")
    } else {
        format!("{dec}{c}")
    }
}

/// util-linux's `ipc_print_size`: an optional label (`name (bytes) = `, or as is when it
/// ends with `=`), the size in the unit, at `width` (`-12`: left in 12; 0: as is), then `end`.
fn print_size(out: &mut String, unit: Unit, msg: Option<&str>, size: u64, end: &str, width: i32) {
    match msg {
        None => {}
        Some(m) if m.ends_with('=') => out.push_str(m),
        Some(m) if unit == Unit::Bytes => {
            let _ = write!(out, "{m} (bytes) = ");
        }
        Some(m) if unit == Unit::Kb => {
            let _ = write!(out, "{m} (kbytes) = ");
        }
        Some(m) => {
            let _ = write!(out, "{m} = ");
        }
    }
    let value = match unit {
        Unit::Default | Unit::Bytes => size.to_string(),
        Unit::Kb => (size / 1024).to_string(),
        Unit::Human => human(size),
    };
    let w = width.unsigned_abs() as usize;
    if width < 0 {
        let _ = write!(out, "{value:<w$}");
    } else {
        let _ = write!(out, "{value:>w$}");
    }
    out.push_str(end);
}

/// The `-c` table's banner and header: `{id} perms cuid cgid uid gid`, each `%-10s`.
fn creators_header(out: &mut String, title: &str, id: &str) {
    let h = [id, "perms", "cuid", "cgid", "uid", "gid"].map(|c| (c, 10));
    table_header(out, title, &h);
}

/// A table's banner (`------ {title} --------`) and its header: each column's name as
/// `%-{width}s`, separated by a space.
fn table_header(out: &mut String, title: &str, columns: &[(&str, usize)]) {
    let _ = writeln!(out, "------ {title} --------");
    let h: Vec<String> = columns.iter().map(|(c, w)| format!("{c:<w$}")).collect();
    let _ = writeln!(out, "{}", h.join(" "));
}

/// A `-t` row of queues and segments: id and owner (id in `w`), then three times as
/// `%-20.16s` of `ctime(t) + 4` (no weekday).
fn times_row(out: &mut String, w: usize, id: i32, uid: u32, times: [Option<SystemTime>; 3]) {
    id_owner(out, w, id, uid);
    for t in times {
        let _ = write!(out, " {}", time_cell(t, 4, 20, 16));
    }
    out.push('\n');
}

/// `0x%08x ` then `%-10d %-10.10s` then ` %-10o `: the first columns of every default table.
fn key_id_owner_perms(out: &mut String, id: i32, p: &ipckit::sysv::Perm) {
    let _ = write!(out, "0x{:08x} ", p.key.raw() as u32);
    id_owner(out, 10, id, p.uid);
    let _ = write!(out, " {:<10o} ", p.mode & 0o777);
}

fn do_msg(out: &mut String, format: Format, unit: Unit) -> anyhow::Result<()> {
    match format {
        Format::Limits => {
            let l = sysv::limits()?;
            let u = if unit == Unit::Default {
                Unit::Bytes
            } else {
                unit
            };
            out.push_str("------ Messages Limits --------\n");
            let _ = writeln!(out, "max queues system wide = {}", l.msgmni);
            print_size(out, u, Some("max size of message"), l.msgmax, "\n", 0);
            print_size(out, u, Some("default max size of queue"), l.msgmnb, "\n", 0);
            return Ok(());
        }
        Format::Status => {
            let all = sysv::queues()?;
            out.push_str("------ Messages Status --------\n");
            let _ = writeln!(out, "allocated queues = {}", all.len());
            let _ = writeln!(
                out,
                "used headers = {}",
                all.iter().map(|q| q.qnum).sum::<u64>()
            );
            let end = if unit == Unit::Default {
                " bytes\n"
            } else {
                "\n"
            };
            let bytes = all.iter().map(|q| q.cbytes).sum();
            print_size(out, unit, Some("used space"), bytes, end, 0);
            return Ok(());
        }
        Format::Creator => creators_header(out, "Message Queues Creators/Owners", "msqid"),
        Format::Time => {
            table_header(
                out,
                "Message Queues Send/Recv/Change Times",
                &[
                    ("msqid", 8),
                    ("owner", 10),
                    ("send", 20),
                    ("recv", 20),
                    ("change", 20),
                ],
            );
        }
        Format::Pid => {
            table_header(
                out,
                "Message Queues PIDs",
                &[("msqid", 10), ("owner", 10), ("lspid", 10), ("lrpid", 10)],
            );
        }
        Format::Default => {
            let size = if unit == Unit::Human {
                "size"
            } else {
                "used-bytes"
            };
            let h = [
                ("key", 10),
                ("msqid", 10),
                ("owner", 10),
                ("perms", 10),
                (size, 12),
                ("messages", 12),
            ];
            table_header(out, "Message Queues", &h);
        }
    }
    for q in sysv::queues()? {
        match format {
            Format::Creator => print_perms(out, q.id, &q.perm),
            Format::Time => times_row(out, 8, q.id, q.perm.uid, [q.stime, q.rtime, q.ctime]),
            Format::Pid => {
                id_owner(out, 8, q.id, q.perm.uid);
                let _ = writeln!(out, "  {:>5}     {:>5}", q.lspid, q.lrpid);
            }
            _ => {
                key_id_owner_perms(out, q.id, &q.perm);
                if unit == Unit::Human {
                    print_size(out, unit, None, q.cbytes, "      ", 6);
                } else {
                    print_size(out, unit, None, q.cbytes, "", -12);
                }
                let _ = writeln!(out, " {:<12}", q.qnum);
            }
        }
    }
    Ok(())
}

fn do_shm(out: &mut String, format: Format, unit: Unit) -> anyhow::Result<()> {
    match format {
        Format::Limits => {
            let l = sysv::limits()?;
            let pgsz = page_size();
            out.push_str("------ Shared Memory Limits --------\n");
            let _ = writeln!(out, "max number of segments = {}", l.shmmni);
            let u = if unit == Unit::Default {
                Unit::Kb
            } else {
                unit
            };
            print_size(out, u, Some("max seg size"), l.shmmax, "\n", 0);
            if matches!(unit, Unit::Kb | Unit::Default) {
                let per = pgsz / 1024;
                let tmp = l
                    .shmall
                    .checked_mul(per)
                    .unwrap_or(u64::MAX - u64::MAX % per);
                print_size(
                    out,
                    Unit::Default,
                    Some("max total shared memory (kbytes)"),
                    tmp,
                    "\n",
                    0,
                );
            } else {
                let tmp = l
                    .shmall
                    .checked_mul(pgsz)
                    .unwrap_or(u64::MAX - u64::MAX % pgsz);
                print_size(out, unit, Some("max total shared memory"), tmp, "\n", 0);
            }
            let u = if unit == Unit::Default {
                Unit::Bytes
            } else {
                unit
            };
            print_size(out, u, Some("min seg size"), 1, "\n", 0);
            return Ok(());
        }
        Format::Status => {
            let all = sysv::segments()?;
            let pgsz = page_size();
            let _ = write!(
                out,
                "------ Shared Memory Status --------\n\
                 segments allocated {}\n\
                 pages allocated {}\n\
                 pages resident  {}\n\
                 pages swapped   {}\n\
                 Swap performance: 0 attempts\t 0 successes\n",
                all.len(),
                all.iter().map(|s| s.size.div_ceil(pgsz)).sum::<u64>(),
                all.iter().map(|s| s.rss / pgsz).sum::<u64>(),
                all.iter().map(|s| s.swap / pgsz).sum::<u64>(),
            );
            return Ok(());
        }
        Format::Creator => creators_header(out, "Shared Memory Segment Creators/Owners", "shmid"),
        Format::Time => {
            table_header(
                out,
                "Shared Memory Attach/Detach/Change Times",
                &[
                    ("shmid", 10),
                    ("owner", 10),
                    ("attached", 20),
                    ("detached", 20),
                    ("changed", 20),
                ],
            );
        }
        Format::Pid => {
            table_header(
                out,
                "Shared Memory Creator/Last-op PIDs",
                &[("shmid", 10), ("owner", 10), ("cpid", 10), ("lpid", 10)],
            );
        }
        Format::Default => {
            let size = if unit == Unit::Human { "size" } else { "bytes" };
            let h = [
                ("key", 10),
                ("shmid", 10),
                ("owner", 10),
                ("perms", 10),
                (size, 10),
                ("nattch", 10),
                ("status", 12),
            ];
            table_header(out, "Shared Memory Segments", &h);
        }
    }
    for s in sysv::segments()? {
        match format {
            Format::Creator => print_perms(out, s.id, &s.perm),
            Format::Time => times_row(out, 10, s.id, s.perm.uid, [s.atime, s.dtime, s.ctime]),
            Format::Pid => {
                id_owner(out, 10, s.id, s.perm.uid);
                let _ = writeln!(out, " {:<10} {:<10}", s.cpid, s.lpid);
            }
            _ => {
                key_id_owner_perms(out, s.id, &s.perm);
                if unit == Unit::Human {
                    print_size(out, unit, None, s.size, "    ", 6);
                } else {
                    print_size(out, unit, None, s.size, "", -10);
                }
                let _ = writeln!(
                    out,
                    " {:<10} {:<6} {:<6}",
                    s.nattch,
                    if s.dest { "dest" } else { " " },
                    if s.locked { "locked" } else { " " }
                );
            }
        }
    }
    Ok(())
}

fn do_sem(out: &mut String, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Limits => {
            let l = sysv::limits()?;
            let _ = write!(
                out,
                "------ Semaphore Limits --------\n\
                 max number of arrays = {}\n\
                 max semaphores per array = {}\n\
                 max semaphores system wide = {}\n\
                 max ops per semop call = {}\n\
                 semaphore max value = {}\n",
                l.semmni,
                l.semmsl,
                l.semmns,
                l.semopm,
                ipckit::sysv::sem::SEMVMX
            );
            return Ok(());
        }
        Format::Status => {
            let all = sysv::sets()?;
            let _ = write!(
                out,
                "------ Semaphore Status --------\nused arrays = {}\nallocated semaphores = {}\n",
                all.len(),
                all.iter().map(|s| s.nsems).sum::<u64>()
            );
            return Ok(());
        }
        // util-linux prints nothing at all for semaphores with -p.
        Format::Pid => return Ok(()),
        Format::Creator => creators_header(out, "Semaphore Arrays Creators/Owners", "semid"),
        Format::Time => {
            table_header(
                out,
                "Semaphore Operation/Change Times",
                &[
                    ("semid", 8),
                    ("owner", 10),
                    ("last-op", 26),
                    ("last-changed", 26),
                ],
            );
        }
        Format::Default => {
            table_header(
                out,
                "Semaphore Arrays",
                &[
                    ("key", 10),
                    ("semid", 10),
                    ("owner", 10),
                    ("perms", 10),
                    ("nsems", 10),
                ],
            );
        }
    }
    for s in sysv::sets()? {
        match format {
            Format::Creator => print_perms(out, s.id, &s.perm),
            Format::Time => {
                id_owner(out, 8, s.id, s.perm.uid);
                let _ = write!(out, "  {}", time_cell(s.otime, 0, 26, 24));
                let _ = writeln!(out, " {}", time_cell(s.ctime, 0, 26, 24));
            }
            _ => {
                key_id_owner_perms(out, s.id, &s.perm);
                let _ = writeln!(out, "{:<10}", s.nsems);
            }
        }
    }
    Ok(())
}

/// `sysconf(_SC_PAGESIZE)` (4096 if unknown).
fn page_size() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .map_or(4096, |p| p as u64)
}

/// `ipcs -q -i ID`; whether the queue exists.
fn print_msg(out: &mut String, id: i32, unit: Unit) -> anyhow::Result<bool> {
    let Some(q) = sysv::queue(id)? else {
        return Ok(false);
    };
    // qbytes is only in msgctl(IPC_STAT) (0 without read permission, as util-linux).
    let qbytes = MessageQueue::from_id(id)
        .and_then(|h| h.stat())
        .map_or(0, |st| st.qbytes);
    let p = &q.perm;
    let _ = write!(
        out,
        "\nMessage Queue msqid={id}\nuid={}\tgid={}\tcuid={}\tcgid={}\tmode={}\n",
        p.uid,
        p.gid,
        p.cuid,
        p.cgid,
        alt_octal(p.mode)
    );
    let human = unit == Unit::Human;
    let label = if human { "csize=" } else { "cbytes=" };
    print_size(out, unit, Some(label), q.cbytes, "\t", 0);
    let label = if human { "qsize=" } else { "qbytes=" };
    print_size(out, unit, Some(label), qbytes, "\t", 0);
    let _ = write!(
        out,
        "qnum={}\tlspid={}\tlrpid={}\nsend_time={}\nrcv_time={}\nchange_time={}\n\n",
        q.qnum,
        q.lspid,
        q.lrpid,
        time_cell(q.stime, 0, 26, 24),
        time_cell(q.rtime, 0, 26, 24),
        time_cell(q.ctime, 0, 26, 24)
    );
    Ok(true)
}

/// `ipcs -m -i ID`; whether the segment exists. The mode shows `SHM_DEST` (01000) and
/// `SHM_LOCKED` (02000) as `/proc/sysvipc/shm` does.
fn print_shm(out: &mut String, id: i32, unit: Unit) -> anyhow::Result<bool> {
    let Some(s) = sysv::segment(id)? else {
        return Ok(false);
    };
    let p = &s.perm;
    let mode = p.mode | if s.dest { 0o1000 } else { 0 } | if s.locked { 0o2000 } else { 0 };
    let _ = write!(
        out,
        "\nShared memory Segment shmid={id}\nuid={}\tgid={}\tcuid={}\tcgid={}\n\
         mode={}\taccess_perms={}\n",
        p.uid,
        p.gid,
        p.cuid,
        p.cgid,
        alt_octal(mode),
        alt_octal(mode & 0o777)
    );
    let label = if unit == Unit::Human {
        "size="
    } else {
        "bytes="
    };
    print_size(out, unit, Some(label), s.size, "\t", 0);
    let _ = write!(
        out,
        "lpid={}\tcpid={}\tnattch={}\natt_time={}\ndet_time={}\nchange_time={}\n\n",
        s.lpid,
        s.cpid,
        s.nattch,
        time_cell(s.atime, 0, 26, 24),
        time_cell(s.dtime, 0, 26, 24),
        time_cell(s.ctime.or(Some(SystemTime::UNIX_EPOCH)), 0, 26, 24)
    );
    Ok(true)
}

/// `ipcs -s -i ID`; whether the set exists.
fn print_sem(out: &mut String, id: i32) -> anyhow::Result<bool> {
    let Some(s) = sysv::set(id)? else {
        return Ok(false);
    };
    let p = &s.perm;
    let _ = write!(
        out,
        "\nSemaphore Array semid={id}\nuid={}\t gid={}\t cuid={}\t cgid={}\n\
         mode={}, access_perms={}\nnsems = {}\notime = {}\nctime = {}\n",
        p.uid,
        p.gid,
        p.cuid,
        p.cgid,
        alt_octal(p.mode),
        alt_octal(p.mode & 0o777),
        s.nsems,
        time_cell(s.otime, 0, 26, 24),
        time_cell(s.ctime.or(Some(SystemTime::UNIX_EPOCH)), 0, 26, 24)
    );
    let h = ["semnum", "value", "ncount", "zcount", "pid"];
    let _ = writeln!(out, "{}", h.map(|c| format!("{c:<10}")).join(" "));
    for e in sysv::semaphores(id).unwrap_or_default() {
        let _ = writeln!(
            out,
            "{:<10} {:<10} {:<10} {:<10} {:<10}",
            e.semnum, e.value, e.ncnt, e.zcnt, e.pid
        );
    }
    out.push('\n');
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::human;

    /// util-linux's `size_to_human_string` outputs (its tests/expected/misc/strtosize).
    #[test]
    fn human_sizes_as_util_linux() {
        for (n, want) in [
            (0, "0B"),
            (1, "1B"),
            (1023, "1023B"),
            (1024, "1K"),
            (1536, "1.5K"),
            (1100, "1.1K"),
            (1025, "1K"),
            (4096, "4K"),
            (16384, "16K"),
            (1 << 20, "1M"),
            ((1 << 20) * 3 / 2, "1.5M"),
            ((1 << 20) - 1, "1024K"),
            (u64::MAX, "16E"),
        ] {
            assert_eq!(human(n), want, "{n}");
        }
    }
}
