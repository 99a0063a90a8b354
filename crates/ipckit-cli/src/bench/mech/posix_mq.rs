//! `posix-mq`: two POSIX message queues (`mq_open`), one per direction, priority 0; one
//! `mq_send` / `mq_receive` per message, boundaries kept by the kernel.

use anyhow::Context as _;
use ipckit::posix::mq::{Limits, MessageQueue};

use super::{arg, Endpoint, Impl, Mechanism, Scenario, Setup};
use crate::bench::raw::posix::{rlimit_msgqueue, RawMq, RawMqPair};

/// POSIX message queues.
pub struct PosixMq;

/// Kernel bookkeeping per message counted against `RLIMIT_MSGQUEUE` (an upper bound).
const PER_MSG_OVERHEAD: usize = 64;

/// Whether this process may exceed `msg_max`/`msgsize_max` (`CAP_SYS_RESOURCE` in `CapEff`;
/// being root is not enough in a container that dropped it).
fn has_cap_sys_resource() -> bool {
    const CAP_SYS_RESOURCE: u32 = 24;
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("CapEff:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .is_some_and(|caps| caps & (1 << CAP_SYS_RESOURCE) != 0)
}

/// `(maxmsg, msgsize)` both twins use for `size`-byte messages, or why it cannot run: at most
/// 10 messages, within `msg_max`/`msgsize_max` unless privileged, and both queues within half of
/// `RLIMIT_MSGQUEUE` (other processes of the same user may hold queues too).
fn geometry(size: usize) -> Result<(usize, usize), String> {
    let limits = Limits::read();
    let root = has_cap_sys_resource();
    let msgsize_max = limits.msgsize_max.unwrap_or(8192) as usize;
    if size > msgsize_max && !root {
        return Err(format!("above msgsize_max ({msgsize_max} bytes)"));
    }
    if size > 16 << 20 {
        return Err("above the kernel's hard msgsize limit (16 MiB)".into());
    }
    let msg_max = limits.msg_max.unwrap_or(10) as usize;
    let mut maxmsg = if root { 10 } else { msg_max.min(10) };
    let budget = rlimit_msgqueue().map_err(|e| format!("getrlimit: {e}"))? as usize / 2;
    let per_queue = budget / 2;
    while maxmsg > 1 && maxmsg * (size + PER_MSG_OVERHEAD) > per_queue {
        maxmsg -= 1;
    }
    if maxmsg * (size + PER_MSG_OVERHEAD) > per_queue {
        return Err(format!(
            "two queues of {size}-byte messages exceed half of RLIMIT_MSGQUEUE ({} bytes)",
            budget * 2
        ));
    }
    Ok((maxmsg, size))
}

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

impl Mechanism for PosixMq {
    fn name(&self) -> &'static str {
        "posix-mq"
    }

    fn about(&self) -> &'static str {
        "two POSIX message queues (mq_open by name, mq_send/mq_receive); ipckit::posix::mq vs raw"
    }

    fn check(&self, _imp: Impl, size: usize) -> Result<(), String> {
        geometry(size).map(drop)
    }

    fn setup(&self, sc: &Scenario) -> anyhow::Result<Setup> {
        let (maxmsg, msgsize) = geometry(sc.size).map_err(anyhow::Error::msg)?;
        let to_peer = format!("/{}", sc.unique("mq-to-peer"));
        let from_peer = format!("/{}", sc.unique("mq-from-peer"));
        let args = vec![to_peer.clone(), from_peer.clone()];
        let connect: Box<dyn FnOnce() -> anyhow::Result<Box<dyn Endpoint>>> = match sc.imp {
            Impl::Raw => {
                let tx = RawMq::create(&to_peer, maxmsg, msgsize)
                    .with_context(|| format!("mq_open {to_peer}"))?;
                let rx = RawMq::create(&from_peer, maxmsg, msgsize)
                    .with_context(|| format!("mq_open {from_peer}"))?;
                Box::new(move || Ok(Box::new(RawMqPair { tx, rx, msgsize }) as _))
            }
            Impl::Ipckit => {
                let q = |n: &str| MessageQueue::builder(n).maxmsg(maxmsg).msgsize(msgsize);
                let tx = q(&to_peer).write_only().create_new()?;
                let rx = q(&from_peer).read_only().create_new()?;
                // The owners unlink the queues when the scenario ends.
                Box::new(move || Ok(Box::new(IpckitMq { tx, rx }) as _))
            }
        };
        Ok(Setup::new(args, connect))
    }

    fn peer(&self, sc: &Scenario, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let to_peer = arg(args, 0, "queue to the peer")?;
        let from_peer = arg(args, 1, "queue from the peer")?;
        match sc.imp {
            Impl::Raw => {
                let rx = RawMq::open(to_peer).with_context(|| format!("mq_open {to_peer}"))?;
                let tx = RawMq::open(from_peer).with_context(|| format!("mq_open {from_peer}"))?;
                Ok(Box::new(RawMqPair {
                    tx,
                    rx,
                    msgsize: sc.size,
                }))
            }
            Impl::Ipckit => {
                let rx = MessageQueue::builder(to_peer).read_only().open()?;
                let tx = MessageQueue::builder(from_peer).write_only().open()?;
                Ok(Box::new(IpckitMq { tx, rx }))
            }
        }
    }
}
