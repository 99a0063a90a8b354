//! `ipckit dump`: show the bytes of a shared-memory segment.

use std::io::Write;
use std::process::ExitCode;

use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;

use anyhow::{bail, Context};
use ipckit::mmap::MappedBytes;
use ipckit::sysv::key::Key;
use ipckit::sysv::shm::SharedMemory;

use crate::parse::{parse_key, parse_size};

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
    /// Start at this byte offset (suffixes K, M, G, T: powers of 1024).
    #[arg(long, value_name = "N", value_parser = parse_size, default_value = "0")]
    pub offset: usize,
    /// Show this many bytes (default: to the end of the segment; suffixes as --offset).
    /// However large, the segment is read 64 KiB at a time.
    #[arg(long, value_name = "N", value_parser = parse_size)]
    pub len: Option<usize>,
    /// Write the bytes as they are instead of a hexdump -C style listing.
    #[arg(long)]
    pub raw: bool,
}

/// How many bytes `dump` reads from the segment at a time: its memory use, whatever the
/// segment's size (a multiple of 16, so hexdump lines never straddle two reads).
pub const CHUNK: usize = 64 << 10;

/// Runs `ipckit dump`.
pub fn run(args: DumpArgs) -> anyhow::Result<ExitCode> {
    if let Some(name) = &args.posix_shm {
        let shm = ipckit::posix::shm::SharedMemory::builder(name)
            .read_only()
            .open()?;
        // Read through the descriptor, not the mapping: a read fault on a hole of a tmpfs
        // mapping allocates a page, so reading a sparse terabyte through the mapping would fill
        // memory, while pread(2) of a hole returns zeros and allocates nothing.
        let file = std::fs::File::from(shm.as_fd().try_clone_to_owned()?);
        stream(shm.len(), name, &args, |at, buf| {
            file.read_exact_at(buf, at as u64)
                .with_context(|| format!("dump: read {} bytes at offset {at} of {name}", buf.len()))
        })
    } else {
        let seg = match (args.id, args.key) {
            (Some(id), _) => SharedMemory::from_id(id)?,
            (None, Some(key)) => SharedMemory::builder(key, 0).open()?,
            (None, None) => unreachable!("clap requires -m, --key or --posix-shm"),
        };
        let what = match args.key {
            Some(key) => format!("the segment with key {key}"),
            None => format!("the segment with id {}", seg.id()),
        };
        let mem = seg.attach_read_only()?;
        stream(mem.len(), &what, &args, |at, buf| Ok(mem.read(at, buf)?))
    }
}

/// Writes `--len` bytes (default: to the end) from `--offset` of shared memory `what` to
/// stdout, raw or as a hexdump, reading [`CHUNK`] bytes at a time into one reused buffer.
/// A closed stdout (`EPIPE`) ends it normally (see `main`).
///
/// `read(at, buf)` fills `buf` with the bytes at offset `at` of the `size` bytes of `what`.
fn stream(
    size: usize,
    what: &str,
    args: &DumpArgs,
    mut read: impl FnMut(usize, &mut [u8]) -> anyhow::Result<()>,
) -> anyhow::Result<ExitCode> {
    let (offset, len) = range(size, what, args.offset, args.len)?;
    let mut out = std::io::BufWriter::with_capacity(CHUNK, std::io::stdout().lock());
    let mut hex = Hexdump::new(offset);
    let mut buf = vec![0u8; CHUNK.min(len)];
    let mut at = offset;
    let end = offset + len;
    while at < end {
        let n = CHUNK.min(end - at);
        let chunk = &mut buf[..n];
        read(at, chunk)?;
        if args.raw {
            out.write_all(chunk)?;
        } else {
            hex.write(&mut out, chunk)?;
        }
        at += n;
    }
    if !args.raw {
        hex.finish(&mut out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The checked range: `offset` and the length (default: to the end of `size` bytes).
fn range(
    size: usize,
    what: &str,
    offset: usize,
    len: Option<usize>,
) -> anyhow::Result<(usize, usize)> {
    if offset > size {
        bail!("dump: offset {offset} is past the end of {what} ({size} bytes)");
    }
    let len = len.unwrap_or(size - offset);
    if len > size - offset {
        bail!("dump: {len} bytes at offset {offset} exceed {what} ({size} bytes)");
    }
    Ok((offset, len))
}

/// A `hexdump -C` listing written piece by piece: offsets continue across the pieces and a
/// run of identical 16-byte lines is squeezed into one `*` even when it spans pieces.
/// Every piece but the last must be a multiple of 16 bytes long.
#[derive(Debug)]
pub struct Hexdump {
    /// The offset of the next byte.
    at: usize,
    /// The last line written (to squeeze repeats of it).
    prev: Option<[u8; 16]>,
    /// Whether the `*` for repeats of `prev` is written.
    squeezing: bool,
}

impl Hexdump {
    /// A listing whose first byte is at offset `base`.
    pub fn new(base: usize) -> Hexdump {
        Hexdump {
            at: base,
            prev: None,
            squeezing: false,
        }
    }

    /// Writes the lines of the next `bytes`.
    pub fn write(&mut self, out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
        for chunk in bytes.chunks(16) {
            let at = self.at;
            self.at += chunk.len();
            if let (Some(prev), true) = (&self.prev, chunk.len() == 16) {
                if prev[..] == *chunk {
                    if !self.squeezing {
                        writeln!(out, "*")?;
                        self.squeezing = true;
                    }
                    continue;
                }
            }
            self.squeezing = false;
            self.prev = <[u8; 16]>::try_from(chunk).ok();
            write_line(out, at, chunk)?;
        }
        Ok(())
    }

    /// Writes the closing line: the offset after the last byte.
    pub fn finish(self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "{:08x}", self.at)
    }
}

/// One `hexdump -C` line: offset, 16 bytes in two groups of 8, their printable characters.
fn write_line(out: &mut impl Write, at: usize, chunk: &[u8]) -> std::io::Result<()> {
    let mut line = String::with_capacity(80);
    line.push_str(&format!("{at:08x} "));
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
    writeln!(out, "{line}")
}
