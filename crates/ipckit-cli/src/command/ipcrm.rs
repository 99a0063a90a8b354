//! `ipckit ipcrm`: util-linux's `ipcrm` (2.38): the same flags (`-q -Q -m -M -s -S`, `-a
//! [shm|msg|sem]`, `--all`, `-v`, the old `ipcrm shm|msg|sem ID...` form), the same messages
//! (`invalid id (N)`, `permission denied for key (N)`, `already removed id (N)`, `illegal
//! key (0)`) and exit codes (1 if anything could not be removed).
//!
//! Naming a queue removes it even when it holds messages: that is an explicit act, as in
//! util-linux. `-a` removes every object too (as util-linux does), but always prints what it
//! removes, and how many unread messages went with each queue, so nothing goes silently.
//! Unlike util-linux, the objects named by flags are removed kind by kind (queues, then
//! segments, then sets) rather than in command-line order.

use std::process::ExitCode;

use ipckit::sysv::key::Key;
use ipckit::Errno;

use crate::sysv_remove::SysvKind as Kind;

/// Flags of `ipckit ipcrm` (util-linux's; each may repeat).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "With -a (all), every System V object you may remove goes, other \
    programs' too, and queues with their unread messages; each removal is printed (with the \
    number of messages a queue held). Keys are decimal, 0x hex or (with a leading 0) octal. \
    Unlike util-linux, `-a WORD` with a WORD other than shm, msg or sem is refused before \
    anything is removed."
)]
pub struct IpcrmArgs {
    /// Remove shared memory segment by id.
    #[arg(short = 'm', long = "shmem-id", value_name = "id")]
    pub shmem_id: Vec<String>,
    /// Remove shared memory segment by key.
    #[arg(short = 'M', long = "shmem-key", value_name = "key")]
    pub shmem_key: Vec<String>,
    /// Remove message queue by id.
    #[arg(short = 'q', long = "queue-id", value_name = "id")]
    pub queue_id: Vec<String>,
    /// Remove message queue by key.
    #[arg(short = 'Q', long = "queue-key", value_name = "key")]
    pub queue_key: Vec<String>,
    /// Remove semaphore by id.
    #[arg(short = 's', long = "semaphore-id", value_name = "id")]
    pub semaphore_id: Vec<String>,
    /// Remove semaphore by key.
    #[arg(short = 'S', long = "semaphore-key", value_name = "key")]
    pub semaphore_key: Vec<String>,
    /// Remove all (in the specified category: shm, msg or sem), printing each.
    #[arg(
        short = 'a',
        long = "all",
        value_name = "shm|msg|sem",
        num_args = 0..=1,
        default_missing_value = "all"
    )]
    pub all: Option<String>,
    /// Explain what is being done.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// The old form: `shm|msg|sem ID...`.
    #[arg(value_name = "shm|msg|sem ID", hide = true)]
    pub legacy: Vec<String>,
}

/// util-linux's name of a kind in its messages.
fn what(kind: Kind) -> &'static str {
    match kind {
        Kind::Shm => "shared memory segment id",
        Kind::Msg => "message queue id",
        Kind::Sem => "semaphore id",
    }
}

/// Ends the command as util-linux's `err`/`errx` do: the message, exit status 1.
struct Fatal(String);

/// What `ipcrm` says about one object: whether it failed.
struct Remover {
    verbose: bool,
}

impl Remover {
    /// util-linux's `remove_id`: removes, reports a failure as `MESSAGE (ID)`; whether it
    /// failed.
    fn remove(&self, kind: Kind, by_key: bool, id: i32) -> Result<bool, Fatal> {
        if self.verbose {
            println!("removing {} `{id}'", what(kind));
        }
        let Err(e) = kind.remove_id(id) else {
            return Ok(false);
        };
        let what = if by_key { "key" } else { "id" };
        let msg = match e.errno() {
            Some(Errno::EACCES | Errno::EPERM) => format!("permission denied for {what}"),
            Some(Errno::EINVAL) => format!("invalid {what}"),
            Some(Errno::EIDRM) => format!("already removed {what}"),
            _ => return Err(Fatal(format!("{what} failed: {e}"))),
        };
        eprintln!("ipckit ipcrm: {msg} ({id})");
        Ok(true)
    }
}

/// `strtos32_or_err`: an id, or the end.
fn parse_id(s: &str) -> Result<i32, Fatal> {
    s.parse()
        .map_err(|_| Fatal(format!("failed to parse argument: '{s}'")))
}

/// util-linux's `strtokey`: `strtoul(s, 0)`, hex with `0x`, octal with a leading `0`.
fn parse_key(s: &str) -> Result<Key, Fatal> {
    let bad = || Fatal(format!("failed to parse argument: '{s}'"));
    let n = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        u64::from_str_radix(&s[1..], 8)
    } else {
        s.parse::<u64>()
    }
    .map_err(|_| bad())?;
    // key_t is an int: util-linux keeps the low 32 bits.
    Ok(Key::new(n as u32 as i32))
}

/// util-linux's `key_to_id`: the id, or `None` after saying why not.
fn key_to_id(kind: Kind, s: &str) -> Result<Option<i32>, Fatal> {
    let key = parse_key(s)?;
    if key == Key::PRIVATE {
        eprintln!("ipckit ipcrm: illegal key ({s})");
        return Ok(None);
    }
    match kind.id_of(key) {
        Ok(id) => Ok(Some(id)),
        Err(e) => {
            let msg = match e.errno() {
                Some(Errno::EACCES) => "permission denied for key",
                Some(Errno::EIDRM) => "already removed key",
                Some(Errno::ENOENT) => "invalid key",
                _ if e.kind() == ipckit::ErrorKind::NotFound => "invalid key",
                _ => return Err(Fatal(format!("key failed: {e}"))),
            };
            eprintln!("ipckit ipcrm: {msg} ({s})");
            Ok(None)
        }
    }
}

/// Runs `ipckit ipcrm`.
pub fn run(args: IpcrmArgs) -> anyhow::Result<ExitCode> {
    match remove(args) {
        Ok(0) => Ok(ExitCode::SUCCESS),
        Ok(_) => Ok(ExitCode::FAILURE),
        Err(Fatal(msg)) => {
            eprintln!("ipckit ipcrm: {msg}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Removes everything the arguments name; the number of failures.
fn remove(args: IpcrmArgs) -> Result<usize, Fatal> {
    if let Some((first, ids)) = args.legacy.split_first() {
        let kind = match first.as_str() {
            "shm" => Kind::Shm,
            "msg" => Kind::Msg,
            "sem" => Kind::Sem,
            other => return Err(Fatal(format!("unknown argument: {other}"))),
        };
        if ids.is_empty() {
            return Err(Fatal("not enough arguments".into()));
        }
        let r = Remover { verbose: false };
        let mut errors = 0;
        for s in ids {
            match s.parse::<u32>() {
                Ok(id) => errors += usize::from(r.remove(kind, false, id as i32)?),
                Err(_) => {
                    eprintln!("ipckit ipcrm: invalid id: {s}");
                    errors += 1;
                }
            }
        }
        if errors > 0 {
            return Ok(errors);
        }
        println!("resource(s) deleted");
        return Ok(0);
    }
    let r = Remover {
        verbose: args.verbose,
    };
    let mut errors = 0;
    let lists = [
        (Kind::Msg, &args.queue_key, &args.queue_id),
        (Kind::Shm, &args.shmem_key, &args.shmem_id),
        (Kind::Sem, &args.semaphore_key, &args.semaphore_id),
    ];
    for (kind, keys, ids) in lists {
        for s in ids {
            errors += usize::from(r.remove(kind, false, parse_id(s)?)?);
        }
        for s in keys {
            match key_to_id(kind, s)? {
                Some(id) => errors += usize::from(r.remove(kind, true, id)?),
                None => errors += 1,
            }
        }
    }
    if let Some(all) = &args.all {
        let kinds: &[Kind] = match all.as_str() {
            "all" => &[Kind::Shm, Kind::Sem, Kind::Msg],
            "shm" => &[Kind::Shm],
            "msg" => &[Kind::Msg],
            "sem" => &[Kind::Sem],
            other => return Err(Fatal(format!("unknown argument: {other}"))),
        };
        if remove_all(kinds)? {
            errors += 1;
        }
    }
    Ok(errors)
}

/// util-linux's `remove_all`, printing each removal (and the messages a queue held);
/// whether any failed.
fn remove_all(kinds: &[Kind]) -> Result<bool, Fatal> {
    let r = Remover { verbose: false };
    let listing = |e: ipckit::Error| Fatal(e.to_string());
    let mut failed = false;
    for &kind in kinds {
        for found in kind.all().map_err(listing)? {
            let id = found.id;
            match found.messages {
                Some(n) if n > 0 => {
                    println!("removing {} `{id}' ({n} unread message(s))", what(kind))
                }
                _ => println!("removing {} `{id}'", what(kind)),
            }
            failed |= r.remove(kind, false, id)?;
        }
    }
    Ok(failed)
}
