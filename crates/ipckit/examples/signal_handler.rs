//! A signal handler: catch SIGUSR1 and SIGTERM, and read each arrival with who sent it.
//!
//! Another process (`sh`) sends two SIGUSR1 and a SIGTERM. The handler only records every
//! delivery (async-signal-safe work); the loop reads them outside the handler, where
//! anything goes.
//!
//! Run: `cargo run -p ipckit --example signal_handler`

use std::process::Command;

use ipckit::signal::{Catcher, Signal};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let me = std::process::id();
    // Installs the handler; dropping `catcher` restores the previous dispositions.
    let catcher = Catcher::new([Signal::USR1, Signal::TERM])?;
    println!("pid {me}: catching SIGUSR1 and SIGTERM");

    // `sleep` between sends: a standard signal sent while the previous one is still pending
    // would be merged with it (see the signal_lost_vs_queued example).
    let script = format!("kill -USR1 {me}; sleep 0.1; kill -USR1 {me}; sleep 0.1; kill -TERM {me}");
    let mut sender = Command::new("sh").args(["-c", &script]).spawn()?;

    for info in &catcher {
        // e.g. "SIGUSR1 from pid 4242 (uid 1000)"
        println!("got {info}");
        if info.signal() == Signal::TERM {
            println!("SIGTERM: cleaning up and leaving");
            break;
        }
    }
    sender.wait()?;
    Ok(())
}
