//! `unix-stream`: a Unix stream socket bound to a path in the run's directory; the parent
//! listens and accepts, the peer connects; messages framed as a 4-byte LE length then the
//! payload.

use anyhow::Context as _;

use super::{path_arg, Endpoint, Impl, Mechanism, Scenario, Setup};
use crate::bench::raw::{self, RawStream};

/// Unix domain stream sockets.
pub struct UnixStream;

impl Mechanism for UnixStream {
    fn name(&self) -> &'static str {
        "unix-stream"
    }

    fn about(&self) -> &'static str {
        "Unix stream socket by path (bind/listen/accept/connect), framed; ipckit::net::unix + channel framing vs raw"
    }

    fn check(&self, imp: Impl, _size: usize) -> Result<(), String> {
        match imp {
            Impl::Raw => Ok(()),
            Impl::Ipckit => Err("ipckit::net::unix not landed yet".into()),
        }
    }

    fn setup(&self, sc: &Scenario) -> anyhow::Result<Setup> {
        let path = sc.path("stream.sock");
        let args = vec![path.display().to_string()];
        match sc.imp {
            Impl::Raw => {
                let listener = raw::socket(libc::AF_UNIX, libc::SOCK_STREAM).context("socket")?;
                raw::bind_unix(&listener, &path)
                    .with_context(|| format!("bind {}", path.display()))?;
                raw::listen(&listener, 1).context("listen")?;
                Ok(Setup::new(args, move || {
                    let conn = raw::accept(&listener).context("accept")?;
                    raw::unlink(&path).with_context(|| format!("unlink {}", path.display()))?;
                    Ok(Box::new(RawStream::socket(conn)) as _)
                }))
            }
            Impl::Ipckit => anyhow::bail!("ipckit::net::unix not landed yet"),
        }
    }

    fn peer(&self, sc: &Scenario, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let path = path_arg(args, 0, "socket path")?;
        match sc.imp {
            Impl::Raw => {
                let s = raw::socket(libc::AF_UNIX, libc::SOCK_STREAM).context("socket")?;
                raw::connect_unix(&s, &path)
                    .with_context(|| format!("connect {}", path.display()))?;
                Ok(Box::new(RawStream::socket(s)))
            }
            Impl::Ipckit => anyhow::bail!("ipckit::net::unix not landed yet"),
        }
    }
}
