//! POSIX message queue between two processes, like `pmsg_send` / `pmsg_receive` (TLPI ch. 52).
//!
//! ```text
//! cargo run -p ipckit --example posix_mq
//! ```
//! The parent creates `/ipckit-example-mq-PID`, starts this program again as the sender, which
//! sends four messages with different priorities, then receives them: highest priority first.

use std::process::Command;
use std::time::Duration;

use ipckit::posix::mq::MessageQueue;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name] = args.as_slice() {
        if role == "sender" {
            // The child: open the existing queue for sending only.
            let q = MessageQueue::builder(name).write_only().open()?;
            for (prio, text) in [(1, "routine"), (10, "urgent"), (0, "whenever"), (5, "soon")] {
                q.send(text.as_bytes(), prio)?;
                println!("sender: sent {text:?} with priority {prio}");
            }
            return Ok(());
        }
    }

    let name = format!("/ipckit-example-mq-{}", std::process::id());
    // Created here, so unlinked when `q` drops, even on an early return.
    let q = MessageQueue::builder(&name)
        .read_only()
        .maxmsg(8)
        .msgsize(256)
        .create_new()?;
    let status = Command::new(std::env::current_exe()?)
        .args(["sender", &name])
        .status()?;
    assert!(status.success(), "sender failed");

    let mut buf = Vec::new();
    println!("receiver: {} messages waiting", q.attr()?.curmsgs);
    while let Ok((len, prio)) = q.recv_timeout(&mut buf, Duration::from_millis(100)) {
        println!(
            "receiver: priority {prio:>2}: {:?} ({len} bytes)",
            String::from_utf8_lossy(&buf)
        );
    }
    Ok(())
}
