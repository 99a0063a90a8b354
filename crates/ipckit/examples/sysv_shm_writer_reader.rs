//! The "Linux Programming" shared-memory pair: a writer creates a System V segment and copies
//! the string into it; a reader (another process) attaches the same key and prints it.
//!
//! ```text
//! cargo run -p ipckit --example sysv_shm_writer_reader
//! ```
//! The writer picks a key from its pid, starts the reader with it, waits for the reader to
//! finish, and removes the segment when its handle drops. A semaphore is not needed here
//! because the reader only starts after the write; `sysv_sem_pv` shows the locking.

use std::process::Command;

use ipckit::mmap::MappedBytes;
use ipckit::sysv::key::Key;
use ipckit::sysv::shm::SharedMemory;

const SIZE: usize = 1024;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, key] = args.as_slice() {
        if role == "reader" {
            let seg = SharedMemory::builder(key.parse()?, SIZE).open()?;
            let mem = seg.attach_read_only()?; // shmat(SHM_RDONLY); shmdt on drop
            let bytes = mem.to_vec(); // a copy out: another process may write the memory
            let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
            println!(
                "reader: segment {} says {:?}",
                seg.id(),
                String::from_utf8_lossy(&bytes[..end])
            );
            return Ok(());
        }
    }

    let key = Key::new(0x5348_0000 | (std::process::id() as i32 & 0xffff));
    let seg = SharedMemory::builder(key, SIZE).create_new()?; // IPC_RMID when dropped
    let mem = seg.attach()?;
    mem.write(0, b"Linux Programming\0")?;
    println!("writer: wrote into segment {} (key {key})", seg.id());
    let status = Command::new(std::env::current_exe()?)
        .args(["reader", &key.to_string()])
        .status()?;
    assert!(status.success(), "reader failed");
    let st = seg.stat()?;
    println!(
        "writer: segment of {} bytes, last attached by pid {}",
        st.size, st.lpid
    );
    Ok(())
}
