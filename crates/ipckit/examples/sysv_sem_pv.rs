//! P/V around a critical section with `SEM_UNDO`, by several processes (the System V
//! semaphore classic, TLPI ch. 47 / Beginning Linux Programming ch. 14).
//!
//! ```text
//! cargo run -p ipckit --example sysv_sem_pv
//! ```
//! Three workers (this program started again) each add 1 to a counter in a shared-memory
//! segment 200 times, reading, pausing and writing it back: without the lock they would
//! lose updates. Each increment is guarded by P (acquire: `semop -1` with `SEM_UNDO`) and V
//! (the guard's drop: `semop +1` with `SEM_UNDO`), so the total is exact, and a worker
//! killed inside the section would not keep the lock (the kernel undoes its P).

use std::process::Command;

use ipckit::mmap::MappedBytes;
use ipckit::sysv::key::Key;
use ipckit::sysv::sem::SemaphoreSet;
use ipckit::sysv::shm::SharedMemory;

const WORKERS: u64 = 3;
const ROUNDS: u64 = 200;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, key, n] = args.as_slice() {
        if role == "worker" {
            let key: Key = key.parse()?;
            let set = SemaphoreSet::builder(key, 1).open()?; // waits for the creator's init
            let seg = SharedMemory::builder(key, 8).open()?;
            let mem = seg.attach()?;
            for _ in 0..ROUNDS {
                let _held = set.acquire(0)?; // P with SEM_UNDO
                let mut v = [0u8; 8];
                mem.read(0, &mut v)?;
                std::thread::yield_now(); // widen the window a lost update would need
                mem.write(0, &(u64::from_ne_bytes(v) + 1).to_ne_bytes())?;
            } // V with SEM_UNDO when `_held` drops
            println!("worker {n}: done");
            return Ok(());
        }
    }

    let key = Key::new(0x5345_0000 | (std::process::id() as i32 & 0xffff));
    // Both removed when dropped at the end of main.
    let set = SemaphoreSet::builder(key, 1).values(&[1]).create_new()?;
    let seg = SharedMemory::builder(key, 8).create_new()?;
    let exe = std::env::current_exe()?;
    let workers: Vec<_> = (0..WORKERS)
        .map(|i| {
            Command::new(&exe)
                .args(["worker", &key.to_string(), &i.to_string()])
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    for mut w in workers {
        assert!(w.wait()?.success(), "worker failed");
    }
    let mut v = [0u8; 8];
    seg.attach_read_only()?.read(0, &mut v)?;
    let total = u64::from_ne_bytes(v);
    println!(
        "parent: counter = {total} (expected {}), semaphore back to {}",
        WORKERS * ROUNDS,
        set.get(0)?
    );
    assert_eq!(total, WORKERS * ROUNDS);
    Ok(())
}
