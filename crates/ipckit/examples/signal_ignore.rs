//! Ignoring a signal, then restoring its default; and what cannot be ignored.
//!
//! Run: `cargo run -p ipckit --example signal_ignore`

use ipckit::signal::{ignore, kill, Signal};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let me = std::process::id();
    let sig = Signal::USR1;
    println!(
        "{sig} ({}): default action {}",
        sig.description(),
        sig.default_action()
    );
    {
        let _guard = ignore(sig)?;
        kill(me, sig)?; // discarded by the kernel: without the guard this would end us
        println!("sent {sig} to myself while ignoring it: still alive");
    } // the guard restores the previous disposition (the default) here

    // SIGKILL and SIGSTOP can be neither caught, nor blocked, nor ignored.
    match ignore(Signal::KILL) {
        Ok(_) => unreachable!("the kernel never lets SIGKILL be ignored"),
        Err(e) => println!("ignore(SIGKILL): {e} (kind: {:?})", e.kind()),
    }

    // With the default back, the same signal terminates: a child shows it.
    let mut child = std::process::Command::new("sleep").arg("10").spawn()?;
    kill(child.id(), sig)?;
    let status = child.wait()?;
    println!("a child with the default disposition, sent {sig}: {status}");
    Ok(())
}
