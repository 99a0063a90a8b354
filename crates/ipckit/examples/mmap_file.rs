//! Two processes talking through a memory-mapped file (`mmap` `MAP_SHARED` + `msync`).
//!
//! ```text
//! cargo run -p ipckit --example mmap_file
//! ```
//! The parent creates a 4 KiB file in the temp directory and maps it; the child (this program
//! started again) maps the same file, waits for a counter to change, and answers. The
//! hand-off uses an atomic in the mapping (`Release`/`Acquire`); the data also lands in the
//! file, which the parent prints at the end.

use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ipckit::mmap::{MappedBytes, MappedFile};

const TURN: usize = 0; // u32: 1 = the child's turn, 2 = the parent's
const TEXT: usize = 64;

fn wait_for(map: &MappedFile, value: u32) -> ipckit::Result<()> {
    let turn = map.atomic_u32(TURN)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while turn.load(Ordering::Acquire) != value {
        assert!(
            Instant::now() < deadline,
            "the other process did not answer"
        );
        std::thread::yield_now();
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, path] = args.as_slice() {
        if role == "child" {
            let map = MappedFile::builder(path).open()?;
            wait_for(&map, 1)?;
            let mut q = [0u8; 15];
            map.read(TEXT, &mut q)?;
            println!("child:  read {:?}", String::from_utf8_lossy(&q));
            map.write(TEXT, b"hello, parent!!")?;
            map.atomic_u32(TURN)?.store(2, Ordering::Release);
            return Ok(());
        }
    }

    let path = std::env::temp_dir().join(format!("ipckit-example-mmap-{}", std::process::id()));
    let map = MappedFile::builder(&path).len(4096).create_new()?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg("child")
        .arg(&path)
        .spawn()?;
    map.write(TEXT, b"hello, child!!!")?;
    map.atomic_u32(TURN)?.store(1, Ordering::Release);
    let outcome = wait_for(&map, 2);
    let ok = child.wait()?.success();
    map.flush()?; // msync: the file now holds the conversation
    let file = std::fs::read(&path)?;
    std::fs::remove_file(&path)?;
    outcome?;
    assert!(ok, "child failed");
    println!(
        "parent: the file says {:?}",
        String::from_utf8_lossy(&file[TEXT..TEXT + 15])
    );
    Ok(())
}
