//! A worker: adds up its share, then reports once to the master through the mechanism.

use std::process::ExitCode;
use std::time::Duration;

use super::cli::{Fault, WorkerArgs};
use super::{transport, Report, Share};

pub(crate) fn main(args: WorkerArgs) -> ExitCode {
    let share = Share {
        from: args.from,
        to: args.to,
    };
    let mut partial = share.add_up();
    match args.fault {
        Some(Fault::Kill) => {
            let _ = ipckit::signal::kill(std::process::id(), ipckit::signal::Signal::KILL);
            std::thread::sleep(Duration::from_secs(60));
        }
        Some(Fault::Exit) => return ExitCode::SUCCESS,
        Some(Fault::Hang) => loop {
            std::thread::sleep(Duration::from_secs(3600));
        },
        Some(Fault::WrongPartial) => partial += 1,
        None => {}
    }
    // Orphaned (the master died): nobody would read the report, and a FIFO or a full queue
    // could block the send forever.
    if std::os::unix::process::parent_id() != args.master {
        eprintln!("parallel-sum worker {}: the master is gone", args.index);
        return ExitCode::from(4);
    }
    let report = Report {
        index: args.index,
        pid: std::process::id(),
        partial,
    };
    match transport::send(args.via, &args.endpoint, args.master, &report) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!(
                "parallel-sum worker {} (pid {}): sending via {}: {}",
                args.index,
                std::process::id(),
                args.via,
                f.msg
            );
            ExitCode::from(f.code)
        }
    }
}
