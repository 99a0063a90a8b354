//! Standard signals are not queued, real-time signals are.
//!
//! With both blocked, this program sends itself SIGUSR1 five times and SIGRTMIN+1 five
//! times, each with a value (`sigqueue`), then takes off what is pending: SIGUSR1 comes out
//! once (the later four were merged into the pending one, values and all), SIGRTMIN+1 five
//! times with its values in order.
//!
//! Run: `cargo run -p ipckit --example signal_lost_vs_queued`

use std::time::Duration;

use ipckit::signal::{block, queue, wait, Signal, SignalSet};
use ipckit::ErrorKind;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let me = std::process::id();
    let rt = Signal::realtime(1)?;
    let set = SignalSet::from([Signal::USR1, rt]);
    // One thread: blocked here means blocked in the process, so everything stays pending.
    let _mask = block(&set)?;

    for v in 1..=5 {
        queue(me, Signal::USR1, v)?;
        queue(me, rt, v * 100)?;
    }
    println!("sent SIGUSR1 x5 (values 1..5) and {rt} x5 (values 100..500)");

    loop {
        match wait(&set, Some(Duration::ZERO)) {
            Ok(info) => println!("  received {} value {}", info.signal(), info.value()),
            Err(e) if e.kind() == ErrorKind::TimedOut => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
