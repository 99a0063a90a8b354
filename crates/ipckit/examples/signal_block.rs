//! Blocking a signal: while blocked it waits as pending; unblocking delivers it at once.
//!
//! Run: `cargo run -p ipckit --example signal_block`

use ipckit::signal::{block, kill, pending, unblock, Catcher, Signal, SignalSet};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let me = std::process::id();
    let usr1 = SignalSet::from(Signal::USR1);
    let catcher = Catcher::new([Signal::USR1])?;

    // This program has one thread, so blocking here blocks in the whole process.
    let mask = block(&usr1)?;
    kill(me, Signal::USR1)?;
    println!("sent SIGUSR1 while blocked");
    println!("  pending: {}", pending()?);
    println!("  handler ran: {}", catcher.try_recv()?.is_some());

    {
        let _open = unblock(&usr1)?; // the pending signal is delivered before this returns
        let info = catcher.try_recv()?.expect("delivered on unblock");
        println!("unblocked: handler got {info}");
        println!("  pending now: {:?}", pending()?.to_string());
    }
    drop(mask); // back to the mask before `block`
    Ok(())
}
