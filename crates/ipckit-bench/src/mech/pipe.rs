//! `pipe`: two anonymous pipes (`pipe2`), one per direction, the peer's ends inherited
//! across `exec`; messages framed as a 4-byte LE length then the payload.
//!
//! ipckit: [`ipckit::pipe::pipe`], the peer's ends handed over as inherited fds (the
//! harness owns the `Command`, so not through `ipckit::pipe::Spawner`) and claimed with
//! `from_inherited`, framing by [`IpckitFramed`]. Raw
//! ([`crate::raw::pipe::Raw`]): `pipe2`, the fds' close-on-exec flag cleared for the spawn,
//! `writev`/`read`.

use super::framed::IpckitFramed;
use crate::common::{arg, fd_arg, fd_number};
use crate::scenario::{any_size, Case, Endpoint, Mechanism, Scenario, Setup};

/// The `pipe` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "pipe",
    about: "two anonymous pipes (pipe2), inherited by the peer, framed; ipckit::pipe + FramedSender/FramedReceiver vs raw writev/read",
    note: None,
    has_throughput: true,
    check: any_size,
    ipckit: &Ipckit,
    raw: &crate::raw::pipe::Raw,
};

/// Anonymous pipes through ipckit.
pub struct Ipckit;

impl Scenario for Ipckit {
    fn setup(&self, _case: &Case) -> anyhow::Result<Setup> {
        let (to_peer_r, to_peer_w) = ipckit::pipe::pipe()?;
        let (from_peer_r, from_peer_w) = ipckit::pipe::pipe()?;
        let r = std::os::fd::OwnedFd::from(to_peer_r);
        let w = std::os::fd::OwnedFd::from(from_peer_w);
        let args = vec![fd_arg(&r), fd_arg(&w)];
        Ok(Setup {
            args,
            inherit: vec![r, w],
            command: None,
            connect: Box::new(move || {
                Ok(Box::new(IpckitFramed::new(from_peer_r, to_peer_w, Box::new(()))) as _)
            }),
        })
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let rx = arg(args, 0, "read end")?;
        let tx = arg(args, 1, "write end")?;
        let r = ipckit::pipe::PipeReader::from_inherited(fd_number(rx)?)?;
        let w = ipckit::pipe::PipeWriter::from_inherited(fd_number(tx)?)?;
        Ok(Box::new(IpckitFramed::new(r, w, Box::new(()))))
    }
}
