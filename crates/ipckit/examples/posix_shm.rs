//! POSIX shared memory with process-shared semaphores inside it, like `pshm_write` /
//! `pshm_read` (TLPI ch. 54) turned into a ping-pong.
//!
//! ```text
//! cargo run -p ipckit --example posix_shm
//! ```
//! The parent creates `/ipckit-example-shm-PID` (4 KiB), places two `sem_t`s in it
//! (`sem_init` with pshared), and starts this program again as the peer. They take turns
//! writing a line into the segment and posting the other's semaphore.

use std::process::Command;
use std::time::Duration;

use ipckit::mmap::MappedBytes;
use ipckit::posix::sem::UnnamedSemaphore;
use ipckit::posix::shm::SharedMemory;

const PARENT_TURN: usize = 0;
const PEER_TURN: usize = 64;
const LEN: usize = 128;
const TEXT: usize = 256;
const WAIT: Duration = Duration::from_secs(10);

fn put(shm: &SharedMemory, text: &str) -> ipckit::Result<()> {
    shm.write(TEXT, text.as_bytes())?;
    shm.write_volatile_u64(LEN, text.len() as u64)
}

fn get(shm: &SharedMemory) -> ipckit::Result<String> {
    let mut buf = vec![0; shm.read_volatile_u64(LEN)? as usize];
    shm.read(TEXT, &mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name] = args.as_slice() {
        if role == "peer" {
            let shm = SharedMemory::builder(name).open()?;
            let (mine, theirs) = (
                UnnamedSemaphore::at(&shm, PEER_TURN)?,
                UnnamedSemaphore::at(&shm, PARENT_TURN)?,
            );
            for i in 0..3 {
                mine.wait_timeout(WAIT)?;
                println!("peer:   read {:?}", get(&shm)?);
                put(&shm, &format!("pong {i}"))?;
                theirs.post()?;
            }
            return Ok(());
        }
    }

    let name = format!("/ipckit-example-shm-{}", std::process::id());
    let shm = SharedMemory::builder(&name).size(4096).create_new()?; // unlinked on drop
    let mine = UnnamedSemaphore::init(&shm, PARENT_TURN, 0)?;
    let theirs = UnnamedSemaphore::init(&shm, PEER_TURN, 0)?;
    let mut peer = Command::new(std::env::current_exe()?)
        .args(["peer", &name])
        .spawn()?;
    for i in 0..3 {
        put(&shm, &format!("ping {i}"))?;
        theirs.post()?;
        mine.wait_timeout(WAIT)?;
        println!("parent: read {:?}", get(&shm)?);
    }
    assert!(peer.wait()?.success(), "peer failed");
    Ok(())
}
