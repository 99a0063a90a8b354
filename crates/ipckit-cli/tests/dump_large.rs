//! `ipckit dump` of segments far larger than memory (issue 10, defect 9): it streams in
//! bounded chunks, so a sparse 1 TiB POSIX object dumps its last bytes, and a dump piped into
//! `head -c` ends normally when the pipe closes. End to end through the built binary.

use std::io::Read;
use std::process::{Command, Stdio};

use ipckit::mmap::MappedBytes;
use ipckit::posix::shm::SharedMemory;
use ipckit_testkit::{bin, ipckit, ok, posix_name, stderr, unique_key, Cleanup};

/// 1 TiB: `ftruncate` on tmpfs is sparse, so this costs no memory.
const TIB: u64 = 1 << 40;

/// Makes a sparse POSIX object as large as the kernel allows, up to 1 TiB; its size.
fn make_sparse(name: &str) -> u64 {
    let mut size = TIB;
    loop {
        let out = ipckit(&["mk", "--posix-shm", name, "--size", &size.to_string()]);
        if out.status.success() {
            return size;
        }
        assert!(
            size > 1 << 26,
            "cannot make a sparse object: {}",
            stderr(&out)
        );
        size /= 4;
    }
}

#[test]
fn dump_of_a_sparse_terabyte_reads_only_what_is_asked() {
    let mut c = Cleanup::default();
    let name = posix_name("huge");
    c.shms.push(name.clone());
    let size = make_sparse(&name);
    SharedMemory::builder(&name)
        .open()
        .unwrap()
        .write((size - 16) as usize, b"the very end....")
        .unwrap();

    let offset = size - 256;
    let out = ipckit(&[
        "dump",
        "--posix-shm",
        &name,
        "--offset",
        &offset.to_string(),
        "--len",
        "256",
    ]);
    assert!(out.status.success(), "{:?}: {}", out.status, stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // A zero line, `*` for the 14 repeats, the last line, the end offset.
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].starts_with(&format!("{offset:08x}  00 00")),
        "{text}"
    );
    assert_eq!(lines[1], "*");
    assert!(
        lines[2].starts_with(&format!("{:08x}  74 68 65", size - 16)),
        "{text}"
    );
    assert!(lines[2].ends_with("|the very end....|"), "{text}");
    assert_eq!(lines[3], format!("{size:08x}"));

    // Raw: exactly the bytes asked for.
    let raw = ipckit(&[
        "dump",
        "--posix-shm",
        &name,
        "--offset",
        &(size - 16).to_string(),
        "--raw",
    ]);
    assert!(raw.status.success(), "{}", stderr(&raw));
    assert_eq!(raw.stdout, b"the very end....");
}

/// `ipckit dump ARGS | head -c N`: what head printed and ipckit's exit status.
fn dump_into_head(args: &[&str], n: usize) -> (Vec<u8>, std::process::ExitStatus, String) {
    let mut dump = Command::new(bin())
        .arg("dump")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let head = Command::new("head")
        .args(["-c", &n.to_string()])
        .stdin(dump.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = head.wait_with_output().unwrap();
    let mut err = String::new();
    dump.stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = dump.wait().unwrap();
    assert!(out.status.success());
    (out.stdout, status, err)
}

#[test]
fn dump_of_a_sparse_terabyte_into_head_ends_when_the_pipe_closes() {
    let mut c = Cleanup::default();
    let name = posix_name("huge-head");
    c.shms.push(name.clone());
    make_sparse(&name);
    SharedMemory::builder(&name)
        .open()
        .unwrap()
        .write(0, b"start")
        .unwrap();

    // Raw: 4 MiB of the terabyte, then head closes the pipe.
    let n = 4 << 20;
    let (out, status, err) = dump_into_head(&["--posix-shm", &name, "--raw"], n);
    assert_eq!(out.len(), n);
    assert_eq!(&out[..5], b"start");
    assert!(out[5..].iter().all(|&b| b == 0));
    assert!(status.success(), "{status:?}: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("memory allocation"),
        "{err}"
    );

    // Hexdump of its first MiB (16 chunks): zero lines squeeze into one `*` across chunks.
    let out = ok(&["dump", "--posix-shm", &name, "--len", "1M"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("00000000  73 74 61 72 74 00"), "{out}");
    assert!(lines[1].starts_with("00000010  00 00"), "{out}");
    assert_eq!(lines[2], "*");
    assert_eq!(lines[3], "00100000");

    // Reading holes allocated nothing: the object still uses (almost) no memory.
    let used = std::fs::metadata(format!("/dev/shm{name}")).unwrap();
    assert!(
        std::os::unix::fs::MetadataExt::blocks(&used) * 512 < 1 << 20,
        "{} bytes allocated",
        std::os::unix::fs::MetadataExt::blocks(&used) * 512
    );
}

#[test]
fn dump_of_several_mib_of_system_v_memory_streams_across_chunks() {
    let key = unique_key();
    let _c = Cleanup::key(key);
    let size = 6 << 20;
    ok(&["mk", "-M", &size.to_string(), "-k", &key.to_string()]);
    {
        let seg = ipckit::sysv::shm::SharedMemory::builder(key, 0)
            .open()
            .unwrap();
        let a = seg.attach().unwrap();
        // Distinct lines everywhere (no squeezing), a marker across a 64 KiB boundary.
        let bytes: Vec<u8> = (0..size).map(|i: usize| (i / 16 % 251) as u8).collect();
        a.write(0, &bytes).unwrap();
        a.write((64 << 10) - 3, b"ACROSS").unwrap();
    }

    // Hexdump, whole: offsets continue across chunks, one line per 16 bytes.
    let text = ok(&["dump", "-k", &key.to_string()]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), size / 16 + 1);
    assert!(
        lines[4096].starts_with("00010000  4f 53 53 50"),
        "{}",
        lines[4096]
    );
    assert!(
        lines[4095].ends_with("OOOOOOOOOOOOOACR|"),
        "{}",
        lines[4095]
    );
    assert_eq!(*lines.last().unwrap(), format!("{size:08x}"));

    // Raw into head -c: the first 3 MiB, then a normal end.
    let n = 3 << 20;
    let (out, status, err) = dump_into_head(&["-k", &key.to_string(), "--raw"], n);
    assert_eq!(out.len(), n);
    assert_eq!(&out[(64 << 10) - 3..(64 << 10) + 3], b"ACROSS");
    assert!(status.success(), "{status:?}: {err}");

    // Hexdump into head: a normal end too.
    let (out, status, err) = dump_into_head(&["-k", &key.to_string()], 1 << 20);
    assert_eq!(out.len(), 1 << 20);
    assert!(status.success(), "{status:?}: {err}");
}
