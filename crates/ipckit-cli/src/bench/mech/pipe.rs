//! `pipe`: two anonymous pipes (`pipe2`), one per direction, the peer's ends inherited
//! across `exec`; messages framed as a 4-byte LE length then the payload.

use super::{arg, fd_arg, inherited, Endpoint, Impl, Mechanism, Scenario, Setup};
use crate::bench::raw::{self, RawStream};

/// Anonymous pipes.
pub struct Pipe;

impl Mechanism for Pipe {
    fn name(&self) -> &'static str {
        "pipe"
    }

    fn about(&self) -> &'static str {
        "two anonymous pipes (pipe2), framed; ipckit::pipe vs raw read/writev"
    }

    fn check(&self, imp: Impl, _size: usize) -> Result<(), String> {
        match imp {
            Impl::Raw => Ok(()),
            Impl::Ipckit => Err("ipckit::pipe not landed yet".into()),
        }
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
            Impl::Ipckit => anyhow::bail!("ipckit::pipe not landed yet"),
        }
    }

    fn peer(&self, sc: &Scenario, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let rx = inherited(arg(args, 0, "read end")?)?;
        let tx = inherited(arg(args, 1, "write end")?)?;
        match sc.imp {
            Impl::Raw => Ok(Box::new(RawStream::pair(Some(rx), Some(tx)))),
            Impl::Ipckit => anyhow::bail!("ipckit::pipe not landed yet"),
        }
    }
}
