//! `sysv-mq`: two System V message queues (`msgget(IPC_PRIVATE)`), one per direction; one
//! `msgsnd` / `msgrcv` per message (type 1), boundaries kept by the kernel. Raw twin:
//! [`crate::raw::sysv_mq::Raw`].

use ipckit::sysv::key::Key;
use ipckit::sysv::msg::{MessageQueue, RecvFlags, Selector, Wait};

use crate::common::id_arg;
use crate::scenario::{Case, Endpoint, Mechanism, Scenario, Setup};

/// The `sysv-mq` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "sysv-mq",
    about:
        "two System V message queues (msgget IPC_PRIVATE, msgsnd/msgrcv); ipckit::sysv::msg vs raw",
    note: None,
    has_throughput: true,
    check,
    ipckit: &Ipckit,
    raw: &crate::raw::sysv_mq::Raw,
};

/// `/proc/sys/kernel/msgmax` (8192 if unreadable).
fn msgmax() -> usize {
    std::fs::read_to_string("/proc/sys/kernel/msgmax")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(8192)
}

fn check(size: usize) -> Result<(), String> {
    let max = msgmax();
    if size > max {
        return Err(format!("above msgmax ({max} bytes)"));
    }
    Ok(())
}

/// System V message queues through ipckit.
pub struct Ipckit;

struct IpckitMsq {
    tx: MessageQueue,
    rx: MessageQueue,
    size: usize,
}

impl Endpoint for IpckitMsq {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        Ok(self.tx.send(1, msg)?)
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        self.rx
            .recv_with(Selector::Any, buf, self.size, RecvFlags::EMPTY, Wait::Block)?;
        Ok(())
    }
}

impl Scenario for Ipckit {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let size = case.size;
        // The owners remove the queues when the scenario ends.
        let tx = MessageQueue::builder(Key::PRIVATE).create_new()?;
        let rx = MessageQueue::builder(Key::PRIVATE).create_new()?;
        let args = vec![tx.id().to_string(), rx.id().to_string()];
        Ok(Setup::new(args, move || {
            Ok(Box::new(IpckitMsq { tx, rx, size }) as _)
        }))
    }

    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let to_peer = id_arg(args, 0, "queue to the peer")?;
        let from_peer = id_arg(args, 1, "queue from the peer")?;
        Ok(Box::new(IpckitMsq {
            tx: MessageQueue::from_id(from_peer)?,
            rx: MessageQueue::from_id(to_peer)?,
            size: case.size,
        }))
    }
}
