//! `unix-stream`: a Unix stream socket bound to a path in the run's directory; the parent
//! listens and accepts, the peer connects; messages framed as a 4-byte LE length then the
//! payload.

use anyhow::Context as _;

use ipckit::net::unix::{SocketAddr, UnixListener};

use super::{path_arg, Endpoint, Impl, IpckitFramed, Mechanism, Scenario, Setup};
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
            Impl::Ipckit => {
                let listener = UnixListener::bind(&SocketAddr::path(&path))?;
                Ok(Setup::new(args, move || {
                    let conn = listener.accept()?;
                    let tx = conn.try_clone()?;
                    // The listener removes its socket file when the scenario ends.
                    Ok(Box::new(IpckitFramed::new(conn, tx, Box::new(listener))) as _)
                }))
            }
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
            Impl::Ipckit => {
                let conn = ipckit::net::unix::UnixStream::connect(&SocketAddr::path(&path))?;
                let tx = conn.try_clone()?;
                Ok(Box::new(IpckitFramed::new(conn, tx, Box::new(()))))
            }
        }
    }
}
