//! An async signal handler loop: SIGTERM, SIGUSR1 and SIGRTMIN+1 read as a stream of
//! records (signal, sender pid, `sigqueue` value) from a signalfd, while other work could
//! run on the same runtime. The example sends itself the signals; from a shell:
//! `kill -USR1 PID`, `kill -TERM PID`. Run:
//! `cargo run -p ipckit --features tokio --example async_signals`.

use ipckit::signal::{kill, queue, Signal, SignalSet};
use ipckit::tokio::SignalStream;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt1 = Signal::realtime(1)?;
    let set: SignalSet = [Signal::TERM, Signal::USR1, rt1].into_iter().collect();
    // Blocked before the runtime starts threads: every thread inherits the mask, so the
    // signals go to the signalfd and never to their default action.
    let _mask = ipckit::signal::block(&set)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let mut signals = SignalStream::new(ipckit::signal::SignalFd::new(&set)?)?;
        let me = std::process::id();
        println!("pid {me}: waiting for SIGTERM, SIGUSR1, SIGRTMIN+1");
        tokio::spawn(async move {
            kill(me, Signal::USR1)?;
            for v in [10, 20, 30] {
                queue(me, rt1, v)?;
            }
            kill(me, Signal::TERM)
        });
        // Pending standard signals are read before real-time ones (lowest number first), so
        // SIGTERM may come before the queued values: stop once both are in.
        let (mut values, mut term) = (Vec::new(), false);
        while !(term && values.len() == 3) {
            let info = signals.recv().await?;
            println!(
                "{} from pid {} value {}",
                info.signal(),
                info.sender_pid(),
                info.value()
            );
            match info.signal() {
                Signal::TERM => term = true,
                s if s == rt1 => values.push(info.value()),
                _ => {}
            }
        }
        println!("SIGTERM and values {values:?}: shutting down");
        Ok::<(), ipckit::Error>(())
    })?;
    Ok(())
}
