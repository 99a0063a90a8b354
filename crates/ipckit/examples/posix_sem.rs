//! POSIX named semaphore as a cross-process lock, like `psem_wait` / `psem_post` (TLPI ch. 53).
//!
//! ```text
//! cargo run -p ipckit --example posix_sem
//! ```
//! Three workers (this program started again) take turns in a critical section guarded by the
//! semaphore `/ipckit-example-sem-PID` created with value 1.

use std::process::Command;
use std::time::Duration;

use ipckit::posix::sem::Semaphore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name, id] = args.as_slice() {
        if role == "worker" {
            let sem = Semaphore::builder(name).open()?;
            for round in 0..3 {
                let _held = sem.acquire()?; // sem_wait; sem_post when `_held` drops
                println!("worker {id}: in the critical section (round {round})");
                std::thread::sleep(Duration::from_millis(5)); // pretend to work while holding it
                println!("worker {id}: leaving");
            }
            return Ok(());
        }
    }

    let name = format!("/ipckit-example-sem-{}", std::process::id());
    let sem = Semaphore::builder(&name).value(1).create_new()?; // unlinked on drop
    let exe = std::env::current_exe()?;
    let workers: Vec<_> = (0..3)
        .map(|i| {
            Command::new(&exe)
                .args(["worker", &name, &i.to_string()])
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    for mut w in workers {
        assert!(w.wait()?.success(), "worker failed");
    }
    println!("parent: value back to {}", sem.value()?);
    Ok(())
}
