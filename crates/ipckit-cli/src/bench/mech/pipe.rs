//! `pipe`: two anonymous pipes (`pipe2`), one per direction, the peer's ends inherited
//! across `exec`; messages framed as a 4-byte LE length then the payload.
//!
//! ipckit: [`ipckit::pipe::pipe`], the peer's ends handed over with `inherit(&mut cmd)` and
//! claimed with `from_inherited`, framing by [`super::IpckitFramed`]. Raw: `pipe2`, the
//! fds' close-on-exec flag cleared for the spawn, `writev`/`read`.

use super::{arg, fd_arg, inherited, Endpoint, Impl, IpckitFramed, Mechanism, Scenario, Setup};
use crate::bench::raw::{self, RawStream};

/// Anonymous pipes.
pub struct Pipe;

/// The number in an `fd:N` argument.
fn fd_number(a: &str) -> anyhow::Result<std::os::fd::RawFd> {
    a.strip_prefix("fd:")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("peer argument {a:?} is not fd:N"))
}

impl Mechanism for Pipe {
    fn name(&self) -> &'static str {
        "pipe"
    }

    fn about(&self) -> &'static str {
        "two anonymous pipes (pipe2), inherited by the peer, framed; ipckit::pipe + FramedSender/FramedReceiver vs raw writev/read"
    }

    fn setup(&self, sc: &Scenario) -> anyhow::Result<Setup> {
        match sc.imp {
            Impl::Raw => {
                let (to_peer_r, to_peer_w) = raw::pipe()?;
                let (from_peer_r, from_peer_w) = raw::pipe()?;
                Ok(Setup {
                    args: vec![fd_arg(&to_peer_r), fd_arg(&from_peer_w)],
                    inherit: vec![to_peer_r, from_peer_w],
                    command: None,
                    connect: Box::new(move || {
                        Ok(Box::new(RawStream::pair(Some(from_peer_r), Some(to_peer_w))) as _)
                    }),
                })
            }
            Impl::Ipckit => {
                let (to_peer_r, to_peer_w) = ipckit::pipe::pipe()?;
                let (from_peer_r, from_peer_w) = ipckit::pipe::pipe()?;
                Ok(Setup {
                    args: Vec::new(),
                    inherit: Vec::new(),
                    command: Some(Box::new(move |cmd| {
                        let r = to_peer_r.inherit(cmd);
                        let w = from_peer_w.inherit(cmd);
                        Ok(vec![format!("fd:{r}"), format!("fd:{w}")])
                    })),
                    connect: Box::new(move || {
                        Ok(Box::new(IpckitFramed::new(from_peer_r, to_peer_w, Box::new(()))) as _)
                    }),
                })
            }
        }
    }

    fn peer(&self, sc: &Scenario, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let rx = arg(args, 0, "read end")?;
        let tx = arg(args, 1, "write end")?;
        match sc.imp {
            Impl::Raw => Ok(Box::new(RawStream::pair(
                Some(inherited(rx)?),
                Some(inherited(tx)?),
            ))),
            Impl::Ipckit => {
                let r = ipckit::pipe::PipeReader::from_inherited(fd_number(rx)?)?;
                let w = ipckit::pipe::PipeWriter::from_inherited(fd_number(tx)?)?;
                Ok(Box::new(IpckitFramed::new(r, w, Box::new(()))))
            }
        }
    }
}
