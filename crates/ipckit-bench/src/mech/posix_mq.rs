//! `posix-mq`: two POSIX message queues (`mq_open`), one per direction, priority 0; one
//! `mq_send` / `mq_receive` per message, boundaries kept by the kernel. Both twins size the
//! queues with [`geometry`]. Raw twin: [`crate::raw::posix_mq::Raw`].

use ipckit::posix::mq::MessageQueue;

use crate::common::arg;
use crate::common::posix_mq::geometry;
use crate::scenario::{Case, Endpoint, Mechanism, Scenario, Setup};

/// The `posix-mq` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "posix-mq",
    about:
        "two POSIX message queues (mq_open by name, mq_send/mq_receive); ipckit::posix::mq vs raw",
    note: None,
    has_throughput: true,
    check: crate::common::posix_mq::check,
    ipckit: &Ipckit,
    raw: &crate::raw::posix_mq::Raw,
};

/// POSIX message queues through ipckit.
pub struct Ipckit;

struct IpckitMq {
    tx: MessageQueue,
    rx: MessageQueue,
}

impl Endpoint for IpckitMq {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        Ok(self.tx.send(msg, 0)?)
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        self.rx.recv(buf)?;
        Ok(())
    }
}

impl Scenario for Ipckit {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let (maxmsg, msgsize) = geometry(case.size).map_err(anyhow::Error::msg)?;
        let to_peer = format!("/{}", case.unique("mq-to-peer"));
        let from_peer = format!("/{}", case.unique("mq-from-peer"));
        let args = vec![to_peer.clone(), from_peer.clone()];
        let q = |n: &str| MessageQueue::builder(n).maxmsg(maxmsg).msgsize(msgsize);
        let tx = q(&to_peer).write_only().create_new()?;
        let rx = q(&from_peer).read_only().create_new()?;
        // The owners unlink the queues when the scenario ends.
        Ok(Setup::new(args, move || {
            Ok(Box::new(IpckitMq { tx, rx }) as _)
        }))
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let to_peer = arg(args, 0, "queue to the peer")?;
        let from_peer = arg(args, 1, "queue from the peer")?;
        let rx = MessageQueue::builder(to_peer).read_only().open()?;
        let tx = MessageQueue::builder(from_peer).write_only().open()?;
        Ok(Box::new(IpckitMq { tx, rx }))
    }
}
