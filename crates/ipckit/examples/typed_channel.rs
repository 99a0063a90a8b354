//! Typed messages between two processes: a struct with an enum and a `Vec`, sent with
//! `channel::typed` (MessagePack, the default codec) over `unix:@…`, then the same over
//! `shm-ring:@…`. The peer is this program re-executed as a child; it sends readings, the
//! parent receives and checks them.
//!
//! ```text
//! cargo run -p ipckit --example typed_channel
//! ```
//! Both addresses are abstract socket names (no file left behind), and the ring's shared
//! memory is a pair of memfds passed over that socket: nothing to clean up in the file
//! system; the child is waited for (and killed if the parent fails first).

use std::process::{Command, ExitCode};
use std::time::Duration;

use ipckit::channel::{typed, Address};
use serde::{Deserialize, Serialize};

const PEER_ENV: &str = "IPCKIT_TYPED_CHANNEL_PEER";
const COUNT: u32 = 5;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Status {
    Ok,
    Warn(String),
    Failed { code: i32 },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Reading {
    id: u32,
    status: Status,
    samples: Vec<f32>,
}

fn reading(id: u32) -> Reading {
    Reading {
        id,
        status: match id % 3 {
            0 => Status::Ok,
            1 => Status::Warn(format!("drift {id}")),
            _ => Status::Failed { code: -(id as i32) },
        },
        samples: (0..id).map(|s| s as f32 * 0.25).collect(),
    }
}

/// The child: connects to the address it was given and sends `COUNT` readings.
fn peer(addr: &Address) -> ipckit::Result<()> {
    let mut tx: typed::Sender<Reading> = typed::connect(addr)?;
    for id in 0..COUNT {
        tx.send(&reading(id))?;
    }
    Ok(())
}

/// The parent: listens, starts the child, receives and checks every reading.
fn run(addr: &Address) -> Result<(), Box<dyn std::error::Error>> {
    let mut listener: typed::Listener<Reading> = typed::listen(addr)?;
    let mut child = Command::new(std::env::current_exe()?)
        .env(PEER_ENV, addr.to_string())
        .spawn()?;
    let received = (|| -> Result<(), Box<dyn std::error::Error>> {
        let mut rx = listener.accept_timeout(Duration::from_secs(30))?;
        for id in 0..COUNT {
            let r = rx.recv_timeout(Duration::from_secs(30))?;
            assert_eq!(r, reading(id));
            println!("{addr}: {r:?}");
        }
        Ok(())
    })();
    if received.is_err() {
        let _ = child.kill();
    }
    let status = child.wait()?;
    received?;
    if !status.success() {
        return Err(format!("peer on {addr} failed: {status}").into());
    }
    println!("{addr}: {COUNT} readings received");
    Ok(())
}

fn main() -> ExitCode {
    if let Ok(addr) = std::env::var(PEER_ENV) {
        let addr: Address = addr.parse().expect("peer address");
        return match peer(&addr) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("typed_channel peer: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let pid = std::process::id();
    for text in [
        format!("unix:@ipckit-example-typed-{pid}"),
        format!("shm-ring:@ipckit-example-typed-{pid}"),
    ] {
        let result = text
            .parse::<Address>()
            .map_err(Into::into)
            .and_then(|addr| run(&addr));
        if let Err(e) = result {
            eprintln!("typed_channel: {text}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
