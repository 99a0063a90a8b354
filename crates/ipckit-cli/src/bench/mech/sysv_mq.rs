//! `sysv-mq`: two System V message queues (`msgget(IPC_PRIVATE)`), one per direction; one
//! `msgsnd` / `msgrcv` per message (type 1), boundaries kept by the kernel.

use anyhow::Context as _;
use ipckit::sysv::key::Key;
use ipckit::sysv::msg::{MessageQueue, RecvFlags, Selector, Wait};

use super::{arg, Endpoint, Impl, Mechanism, Scenario, Setup};
use crate::bench::raw::sysv::{msgmax, RawMsq, RawMsqPair};

/// System V message queues.
pub struct SysvMq;

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

fn id_arg(args: &[String], i: usize, what: &str) -> anyhow::Result<i32> {
    let a = arg(args, i, what)?;
    a.parse()
        .with_context(|| format!("{what} {a:?} is not an id"))
}

impl Mechanism for SysvMq {
    fn name(&self) -> &'static str {
        "sysv-mq"
    }

    fn about(&self) -> &'static str {
        "two System V message queues (msgget IPC_PRIVATE, msgsnd/msgrcv); ipckit::sysv::msg vs raw"
    }

    fn check(&self, _imp: Impl, size: usize) -> Result<(), String> {
        let max = msgmax();
        if size > max {
            return Err(format!("above msgmax ({max} bytes)"));
        }
        Ok(())
    }

    fn setup(&self, sc: &Scenario) -> anyhow::Result<Setup> {
        let size = sc.size;
        Ok(match sc.imp {
            Impl::Raw => {
                let tx = RawMsq::create().context("msgget")?;
                let rx = RawMsq::create().context("msgget")?;
                let args = vec![tx.id.to_string(), rx.id.to_string()];
                Setup::new(args, move || {
                    Ok(Box::new(RawMsqPair::new(tx, rx, size)) as _)
                })
            }
            Impl::Ipckit => {
                // The owners remove the queues when the scenario ends.
                let tx = MessageQueue::builder(Key::PRIVATE).create_new()?;
                let rx = MessageQueue::builder(Key::PRIVATE).create_new()?;
                let args = vec![tx.id().to_string(), rx.id().to_string()];
                Setup::new(args, move || Ok(Box::new(IpckitMsq { tx, rx, size }) as _))
            }
        })
    }

    fn peer(&self, sc: &Scenario, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let to_peer = id_arg(args, 0, "queue to the peer")?;
        let from_peer = id_arg(args, 1, "queue from the peer")?;
        Ok(match sc.imp {
            Impl::Raw => Box::new(RawMsqPair::new(
                RawMsq::open(from_peer),
                RawMsq::open(to_peer),
                sc.size,
            )),
            Impl::Ipckit => Box::new(IpckitMsq {
                tx: MessageQueue::from_id(from_peer)?,
                rx: MessageQueue::from_id(to_peer)?,
                size: sc.size,
            }),
        })
    }
}
