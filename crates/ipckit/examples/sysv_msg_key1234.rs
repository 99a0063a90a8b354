//! The classic System V message-queue pair (Beginning Linux Programming, ch. 14): process A
//! gets the queue with key 1234 and sends lines; process B gets the queue with the same key
//! and receives them until "end".
//!
//! ```text
//! cargo run -p ipckit --example sysv_msg_key1234            # runs A, which starts B
//! cargo run -p ipckit --example sysv_msg_key1234 -- recv    # only B, in another terminal
//! cargo run -p ipckit --example sysv_msg_key1234 -- send    # only A
//! ```
//! The key is 1234 (`0x000004d2`), as in the book; set `IPCKIT_KEY` (decimal, 0x hex, or
//! `ftok:PATH:ID`) to use another one. Whichever side creates the queue removes it when it
//! ends (with both started together, A creates it and waits for B before removing it), so
//! nothing is left in `ipcs -q`.

use std::process::Command;

use ipckit::sysv::key::Key;
use ipckit::sysv::msg::{MessageQueue, Selector};

fn key() -> Result<Key, ipckit::Error> {
    match std::env::var("IPCKIT_KEY") {
        Ok(k) => k.parse(),
        Err(_) => Ok(Key::new(1234)),
    }
}

/// Process B: receives messages of any type until "end".
fn receive(key: Key) -> Result<(), ipckit::Error> {
    let q = MessageQueue::builder(key).open_or_create()?;
    loop {
        let m = q.recv(Selector::Any)?;
        let text = String::from_utf8_lossy(&m.data);
        println!("B: received type {}: {text}", m.mtype);
        if text == "end" {
            return Ok(());
        }
    }
}

/// Process A: sends three lines then "end".
fn send(q: &MessageQueue) -> Result<(), ipckit::Error> {
    for line in [
        "hello from A",
        "System V queues keep message boundaries",
        "end",
    ] {
        q.send(1, line.as_bytes())?;
        println!("A: sent {line:?}");
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = key()?;
    match std::env::args().nth(1).as_deref() {
        Some("recv") => return Ok(receive(key)?),
        Some("send") => {
            let q = MessageQueue::builder(key).open_or_create()?;
            return Ok(send(&q)?);
        }
        _ => {}
    }
    // Both: A creates the queue (removed when `q` drops, after B is done), then starts B.
    let q = MessageQueue::builder(key).open_or_create()?;
    println!("A: queue {} has id {}", q.key(), q.id());
    let mut b = Command::new(std::env::current_exe()?).arg("recv").spawn()?;
    send(&q)?;
    assert!(b.wait()?.success(), "process B failed");
    Ok(())
}
