//! `ipckit dump`: show the bytes of a shared-memory segment.

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;
use ipckit::mmap::MappedBytes;
use ipckit::sysv::key::Key;
use ipckit::sysv::shm::SharedMemory;

use crate::parse::parse_key;

/// Flags of `ipckit dump`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("segment").required(true).multiple(false))]
pub struct DumpArgs {
    /// The System V shared-memory segment with this id.
    #[arg(short = 'm', long = "shmem-id", value_name = "ID", group = "segment")]
    pub id: Option<i32>,
    /// The System V shared-memory segment with this key (decimal, 0x hex, ftok:PATH:ID).
    #[arg(short = 'k', long = "key", value_name = "KEY", value_parser = parse_key, group = "segment")]
    pub key: Option<Key>,
    /// The POSIX shared-memory object NAME (e.g. /frames), mapped read-only.
    #[arg(long = "posix-shm", value_name = "NAME", group = "segment")]
    pub posix_shm: Option<String>,
    /// Start at this byte offset.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub offset: usize,
    /// Show this many bytes (default: to the end of the segment).
    #[arg(long, value_name = "N")]
    pub len: Option<usize>,
    /// Write the bytes as they are instead of a hexdump -C style listing.
    #[arg(long)]
    pub raw: bool,
}

/// Runs `ipckit dump`.
pub fn run(args: DumpArgs) -> anyhow::Result<ExitCode> {
    let bytes = if let Some(name) = &args.posix_shm {
        let shm = ipckit::posix::shm::SharedMemory::builder(name)
            .read_only()
            .open()?;
        copy_range(&shm, name, args.offset, args.len)?
    } else {
        let seg = match (args.id, args.key) {
            (Some(id), _) => SharedMemory::from_id(id)?,
            (None, Some(key)) => SharedMemory::builder(key, 0).open()?,
            (None, None) => unreachable!("clap requires -m, --key or --posix-shm"),
        };
        copy_range(
            &seg.attach_read_only()?,
            "the segment",
            args.offset,
            args.len,
        )?
    };
    write_bytes(&bytes, args.offset, args.raw)
}

/// Copies `len` bytes (default: to the end) from `offset` out of shared memory `what`.
fn copy_range(
    mem: &impl MappedBytes,
    what: &str,
    offset: usize,
    len: Option<usize>,
) -> anyhow::Result<Vec<u8>> {
    let size = mem.len();
    if offset > size {
        bail!("dump: offset {offset} is past the end of {what} ({size} bytes)");
    }
    let len = len.unwrap_or(size - offset);
    if len > size - offset {
        bail!("dump: {len} bytes at offset {offset} exceed {what} ({size} bytes)");
    }
    let mut bytes = vec![0u8; len];
    mem.read(offset, &mut bytes)?;
    Ok(bytes)
}

/// Writes `bytes` (read from `offset`) raw or as a hexdump.
fn write_bytes(bytes: &[u8], offset: usize, raw: bool) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if raw {
        out.write_all(bytes)?;
    } else {
        hexdump(&mut out, offset, bytes)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` like `hexdump -C`, offsets counted from `base`; repeated lines are
/// squeezed into `*`.
pub fn hexdump(out: &mut impl Write, base: usize, bytes: &[u8]) -> std::io::Result<()> {
    let mut prev: Option<&[u8]> = None;
    let mut squeezing = false;
    for (i, chunk) in bytes.chunks(16).enumerate() {
        if prev == Some(chunk) && chunk.len() == 16 {
            if !squeezing {
                writeln!(out, "*")?;
                squeezing = true;
            }
            continue;
        }
        squeezing = false;
        prev = Some(chunk);
        let mut line = format!("{:08x} ", base + i * 16);
        for j in 0..16 {
            if j == 8 {
                line.push(' ');
            }
            match chunk.get(j) {
                Some(b) => line.push_str(&format!(" {b:02x}")),
                None => line.push_str("   "),
            }
        }
        line.push_str("  |");
        line.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        }));
        line.push('|');
        writeln!(out, "{line}")?;
    }
    writeln!(out, "{:08x}", base + bytes.len())
}
