//! `unix-stream`, raw: `socket`/`bind`/`listen`/`accept`/`connect`, framed with
//! `writev`/`read`.

use anyhow::Context as _;

use super::sys::{self, RawStream};
use crate::common::path_arg;
use crate::scenario::{Case, Endpoint, Scenario, Setup};

/// The raw twin of [`crate::mech::unix_stream::Ipckit`].
pub struct Raw;

impl Scenario for Raw {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let path = case.path("stream.sock");
        let args = vec![path.display().to_string()];
        let listener = sys::socket(libc::AF_UNIX, libc::SOCK_STREAM).context("socket")?;
        sys::bind_unix(&listener, &path).with_context(|| format!("bind {}", path.display()))?;
        sys::listen(&listener, 1).context("listen")?;
        Ok(Setup::new(args, move || {
            let conn = sys::accept(&listener).context("accept")?;
            sys::unlink(&path).with_context(|| format!("unlink {}", path.display()))?;
            Ok(Box::new(RawStream::socket(conn)) as _)
        }))
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let path = path_arg(args, 0, "socket path")?;
        let s = sys::socket(libc::AF_UNIX, libc::SOCK_STREAM).context("socket")?;
        sys::connect_unix(&s, &path).with_context(|| format!("connect {}", path.display()))?;
        Ok(Box::new(RawStream::socket(s)))
    }
}
