//! [`Address`]: the strings a person types to name a channel endpoint, parsed and printed.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

pub use crate::net::unix::SocketAddr;
use crate::sysv::key::KeySpec;
use crate::{Error, ErrorKind, Result};

/// The address forms [`Address::from_str`] accepts, one per line, shown in its errors.
pub const ACCEPTED_FORMS: &str =
    "  fifo:PATH                    a FIFO (named pipe), framed byte stream
  unix:PATH, unix:@NAME        a Unix stream socket by path or abstract name, framed
  unix-dgram:PATH|@NAME        a Unix datagram socket, one datagram per message
  unix-seqpacket:PATH|@NAME    a Unix seqpacket socket, one record per message
  tcp:HOST:PORT                TCP, framed (IPv6: tcp:[::1]:9000)
  sysv-mq:KEY[:MTYPE]          a System V message queue (KEY 1234, 0x4d2, ftok:PATH:ID);
                               sends type MTYPE (default 1), receives only MTYPE (default any)
  posix-mq:/NAME               a POSIX message queue, one queue message per message
  shm-ring:PATH|@NAME          a shared-memory ring (handshake on a Unix seqpacket socket)
  file:PATH                    an append-only spool file (durable; at-least-once delivery)
  zenoh:KEY/EXPR[?congestion=drop][&locality=remote]
                               a zenoh key expression (feature zenoh): connect publishes,
                               listen subscribes (wildcards * and ** when listening);
                               locality=remote: other zenoh sessions only (not this one)";

/// A channel endpoint, as typed on a command line: `SCHEME:REST`.
///
/// | form | transport | messages |
/// |---|---|---|
/// | `fifo:PATH` | a FIFO (named pipe) | framed: 4-byte little-endian length, then the payload |
/// | `unix:PATH`, `unix:@NAME` | Unix stream socket, path or abstract name | framed |
/// | `unix-dgram:PATH`, `unix-dgram:@NAME` | Unix datagram socket | one datagram each |
/// | `unix-seqpacket:PATH`, `unix-seqpacket:@NAME` | Unix seqpacket socket | one record each |
/// | `tcp:HOST:PORT`, `tcp:[V6]:PORT` | TCP | framed |
/// | `sysv-mq:KEY`, `sysv-mq:KEY:MTYPE` | System V message queue (KEY decimal, `0x` hex or `ftok:PATH:ID`) | one message each: sent with type MTYPE (default 1); received: only type MTYPE if given, else any type |
/// | `posix-mq:/NAME` | POSIX message queue | one queue message each (priority 0) |
/// | `shm-ring:PATH`, `shm-ring:@NAME` | shared-memory ring ([`crate::ring`]), set up over a Unix seqpacket socket at the path or abstract name | one record each |
/// | `file:PATH` | append-only spool file ([`crate::file`]), position in `PATH.pos` | one checksummed frame each |
/// | `zenoh:KEY/EXPR`, `zenoh:KEY/EXPR?congestion=drop`, `zenoh:KEY/EXPR?locality=remote` (both: `?congestion=drop&locality=remote`) | a zenoh publisher (connect) or subscriber (listen, wildcards allowed), feature `zenoh` | one sample each |
///
/// Parsing then printing gives the same string back (for a string in canonical form).
/// The enum is `#[non_exhaustive]`: later transports (message queues, a shared-memory ring)
/// add variants.
///
/// # Errors
/// Parsing fails with [`ErrorKind::InvalidInput`]; the message names the bad part and lists
/// every accepted form ([`ACCEPTED_FORMS`]).
///
/// # Examples
/// ```
/// use ipckit::channel::{Address, SocketAddr};
/// let a: Address = "unix:@svc".parse()?;
/// assert_eq!(a, Address::Unix(SocketAddr::abstract_name("svc")));
/// assert_eq!(a.to_string(), "unix:@svc");
/// let t: Address = "tcp:[::1]:9000".parse()?;
/// assert_eq!(t.to_string(), "tcp:[::1]:9000");
/// let bad = "udp:1.2.3.4:5".parse::<Address>().unwrap_err();
/// assert_eq!(bad.kind(), ipckit::ErrorKind::InvalidInput);
/// assert!(bad.to_string().contains("unix-seqpacket:PATH"));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// - <https://man7.org/linux/man-pages/man7/unix.7.html>
/// - <https://man7.org/linux/man-pages/man7/fifo.7.html>
/// - <https://man7.org/linux/man-pages/man7/tcp.7.html>
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address {
    /// `fifo:PATH`: a FIFO; the receiver creates it if missing.
    Fifo(PathBuf),
    /// `unix:PATH` or `unix:@NAME`: a Unix stream socket (never [`SocketAddr::Unnamed`]).
    Unix(SocketAddr),
    /// `unix-dgram:PATH` or `unix-dgram:@NAME`: a Unix datagram socket.
    UnixDgram(SocketAddr),
    /// `unix-seqpacket:PATH` or `unix-seqpacket:@NAME`: a Unix seqpacket socket.
    UnixSeqpacket(SocketAddr),
    /// `tcp:HOST:PORT`: TCP; `host` is a name or an IP address (IPv6 without brackets).
    Tcp {
        /// Host name or IP address, resolved when connecting or listening.
        host: String,
        /// Port number; `0` when listening asks the kernel for a free one.
        port: u16,
    },
    /// `sysv-mq:KEY[:MTYPE]`: a System V message queue by key (decimal, `0x` hex, or
    /// `ftok:PATH:ID`). A sender sends messages of type `mtype` (type 1 when `None`); a
    /// receiver takes only messages of type `mtype` when it is `Some` (so several channels
    /// can share one queue), and messages of any type, oldest first, when it is `None`
    /// (`msgrcv(…, msgtyp = 0, …)`, as Python's `sysv_ipc` receives by default).
    ///
    /// ```
    /// use ipckit::channel::Address;
    /// let any: Address = "sysv-mq:0x4d2".parse()?;
    /// assert!(matches!(any, Address::SysvMq { mtype: None, .. }));
    /// let three: Address = "sysv-mq:0x4d2:3".parse()?;
    /// assert!(matches!(three, Address::SysvMq { mtype: Some(3), .. }));
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    SysvMq {
        /// The queue's key, resolved when connecting or listening.
        key: KeySpec,
        /// The message type (`mtype`, ≥ 1): sent (`None`: 1) and received (`None`: any).
        #[doc(alias = "msgtyp")]
        mtype: Option<i64>,
    },
    /// `posix-mq:/NAME`: a POSIX message queue by name, with its leading slash; one queue
    /// message per message, priority 0.
    PosixMq(String),
    /// `shm-ring:PATH` or `shm-ring:@NAME`: a shared-memory ring ([`crate::ring`]) whose
    /// handshake runs over a Unix seqpacket socket at that path or abstract name; one ring
    /// record per message.
    ShmRing(SocketAddr),
    /// `file:PATH`: an append-only spool file ([`crate::file`]); one frame per message,
    /// kept on disk until delivered (at least once).
    File(PathBuf),
    /// `zenoh:KEY/EXPR[?congestion=drop][&locality=remote]`: a zenoh key expression
    /// (chunks separated by `/`; `*` and `**` chunks only on the listening side). A sender
    /// declares a reliable publisher there, with congestion control `Block` unless the
    /// address says `congestion=drop`; a receiver declares a subscriber. `locality=remote`
    /// keeps the process's own zenoh session out: its publisher reaches (and waits for)
    /// subscribers of other sessions only, its subscriber takes samples from other sessions
    /// only ([`ZenohLocality`]), so one process can publish and subscribe on the same key
    /// without hearing itself (what `ipckit bridge --both-ways` does). The two options are
    /// joined by `&`, printed in this order. Needs the cargo feature `zenoh` to connect or
    /// listen (parsing works without it).
    ///
    /// ```
    /// use ipckit::channel::{Address, ZenohCongestion, ZenohLocality};
    /// let a: Address = "zenoh:robot/camera?congestion=drop".parse()?;
    /// assert_eq!(
    ///     a,
    ///     Address::Zenoh {
    ///         key: "robot/camera".into(),
    ///         congestion: ZenohCongestion::Drop,
    ///         locality: ZenohLocality::Any,
    ///     }
    /// );
    /// assert_eq!("zenoh:robot/**".parse::<Address>()?.to_string(), "zenoh:robot/**");
    /// let b: Address = "zenoh:robot/cmd?locality=remote&congestion=drop".parse()?;
    /// assert_eq!(b.to_string(), "zenoh:robot/cmd?congestion=drop&locality=remote");
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    Zenoh {
        /// The key expression, in canonical form.
        key: String,
        /// What a publisher does when the network or a subscriber is slow.
        congestion: ZenohCongestion,
        /// Whose samples a subscriber takes, and whose subscribers a publisher serves.
        locality: ZenohLocality,
    },
}

/// What a `zenoh:` publisher does when its link or a subscriber cannot keep up (zenoh's
/// congestion control), set by the address (`?congestion=drop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ZenohCongestion {
    /// `send` waits until the message is taken: nothing is dropped (the default).
    #[default]
    Block,
    /// A message that cannot be queued at once is dropped by zenoh, silently (for
    /// telemetry where the newest sample matters more than every sample).
    Drop,
}

/// Which zenoh sessions a `zenoh:` end deals with (zenoh's `Locality`), set by the address
/// (`?locality=remote`): on a publisher, whose subscribers receive its samples and count
/// as matching before a first `send` (`allowed_destination`); on a subscriber, whose
/// publications it takes (`allowed_origin`). See
/// <https://docs.rs/zenoh/1.10/zenoh/sample/enum.Locality.html>.
///
/// # Examples
///
/// ```
/// use ipckit::channel::{Address, ZenohLocality};
/// let a: Address = "zenoh:robot/rpc?locality=remote".parse()?;
/// assert!(matches!(a, Address::Zenoh { locality: ZenohLocality::Remote, .. }));
/// assert_eq!(ZenohLocality::default(), ZenohLocality::Any);
/// # Ok::<(), ipckit::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[doc(alias = "Locality")]
pub enum ZenohLocality {
    /// Every session, this process's own included (the default).
    #[default]
    Any,
    /// Other sessions only: a publisher ignores the subscribers of its own session (they
    /// neither receive its samples nor satisfy the wait for a matching subscriber), a
    /// subscriber ignores its own session's publications. For a process that publishes and
    /// subscribes on the same key, as `ipckit bridge --both-ways` does.
    Remote,
}

impl Address {
    /// The scheme: the part before the first `:` (`"unix-dgram"`).
    ///
    /// # Examples
    /// ```
    /// let a: ipckit::channel::Address = "unix-dgram:@x".parse()?;
    /// assert_eq!(a.scheme(), "unix-dgram");
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn scheme(&self) -> &'static str {
        match self {
            Address::Fifo(_) => "fifo",
            Address::Unix(_) => "unix",
            Address::UnixDgram(_) => "unix-dgram",
            Address::UnixSeqpacket(_) => "unix-seqpacket",
            Address::Tcp { .. } => "tcp",
            Address::SysvMq { .. } => "sysv-mq",
            Address::PosixMq(_) => "posix-mq",
            Address::ShmRing(_) => "shm-ring",
            Address::File(_) => "file",
            Address::Zenoh { .. } => "zenoh",
        }
    }

    /// Whether the transport is a byte stream that ipckit frames (`fifo`, `unix`, `tcp`), as
    /// opposed to one that keeps message boundaries itself.
    ///
    /// # Examples
    /// ```
    /// let a: ipckit::channel::Address = "tcp:localhost:80".parse()?;
    /// assert!(a.is_byte_stream());
    /// let b: ipckit::channel::Address = "unix-seqpacket:/run/x".parse()?;
    /// assert!(!b.is_byte_stream());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn is_byte_stream(&self) -> bool {
        matches!(
            self,
            Address::Fifo(_) | Address::Unix(_) | Address::Tcp { .. }
        )
    }
}

fn bad(text: &str, why: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        "parse address",
        format!("{text:?}"),
    )
    .with_detail(format!("{why}; accepted forms:\n{ACCEPTED_FORMS}"))
}

fn parse_path(text: &str, rest: &str) -> Result<PathBuf> {
    if rest.is_empty() {
        return Err(bad(text, "the path is empty"));
    }
    if rest.contains('\0') {
        return Err(bad(text, "the path contains a NUL byte"));
    }
    Ok(PathBuf::from(rest))
}

fn parse_unix_name(text: &str, rest: &str) -> Result<SocketAddr> {
    if rest.is_empty() {
        return Err(bad(text, "the path is empty"));
    }
    rest.parse::<SocketAddr>()
        .map_err(|e| bad(text, e.detail().unwrap_or("not a Unix socket address")))
}

fn parse_tcp(text: &str, rest: &str) -> Result<Address> {
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let Some((host, after)) = v6.split_once(']') else {
            return Err(bad(
                text,
                "`[` without a closing `]` around the IPv6 address",
            ));
        };
        let Some(port) = after.strip_prefix(':') else {
            return Err(bad(text, "expected `:PORT` after `]`"));
        };
        (host, port)
    } else {
        let Some((host, port)) = rest.rsplit_once(':') else {
            return Err(bad(text, "expected tcp:HOST:PORT"));
        };
        if host.contains(':') {
            return Err(bad(
                text,
                "an IPv6 address goes in brackets: tcp:[::1]:9000",
            ));
        }
        (host, port)
    };
    if host.is_empty() {
        return Err(bad(text, "the host is empty"));
    }
    let port = port.parse::<u16>().map_err(|_| {
        bad(
            text,
            format_args!("the port {port:?} is not a number 0..=65535"),
        )
    })?;
    Ok(Address::Tcp {
        host: host.to_string(),
        port,
    })
}

/// `KEY[:MTYPE]`; for `ftok:PATH:ID:MTYPE` the last two fields are taken as ID and MTYPE
/// when both are numbers (a path ending in `:N` then needs an explicit MTYPE).
fn parse_sysv_mq(text: &str, rest: &str) -> Result<Address> {
    let number = |s: &str| s.parse::<i64>().ok();
    let (key, mtype) = if rest.starts_with("ftok:") {
        let parts: Vec<&str> = rest.rsplitn(3, ':').collect();
        match parts[..] {
            [m, id, path] if path != "ftok" && number(m).is_some() && number(id).is_some() => {
                (format!("{path}:{id}"), Some(m))
            }
            _ => (rest.to_string(), None),
        }
    } else {
        match rest.split_once(':') {
            Some((k, m)) => (k.to_string(), Some(m)),
            None => (rest.to_string(), None),
        }
    };
    let key: KeySpec = key
        .parse()
        .map_err(|e: Error| bad(text, e.detail().unwrap_or("bad key").to_string()))?;
    let mtype = match mtype {
        None => None,
        Some(m) => Some(
            number(m)
                .filter(|&t| t >= 1)
                .ok_or_else(|| bad(text, format_args!("the message type {m:?} is not >= 1")))?,
        ),
    };
    Ok(Address::SysvMq { key, mtype })
}

/// `KEY/EXPR[?OPTION[&OPTION]]`, options `congestion=block|drop`, `locality=any|remote`:
/// chunks of `/`, none empty; `*`/`**` whole chunks.
fn parse_zenoh(text: &str, rest: &str) -> Result<Address> {
    let (key, query) = match rest.split_once('?') {
        Some((k, q)) => (k, Some(q)),
        None => (rest, None),
    };
    let mut congestion = None;
    let mut locality = None;
    for option in query.map(|q| q.split('&')).into_iter().flatten() {
        let twice = |name: &str| bad(text, format_args!("the option {name} is given twice"));
        match option {
            "congestion=block" | "congestion=drop" if congestion.is_some() => {
                return Err(twice("congestion"))
            }
            "congestion=block" => congestion = Some(ZenohCongestion::Block),
            "congestion=drop" => congestion = Some(ZenohCongestion::Drop),
            "locality=any" | "locality=remote" if locality.is_some() => {
                return Err(twice("locality"))
            }
            "locality=any" => locality = Some(ZenohLocality::Any),
            "locality=remote" => locality = Some(ZenohLocality::Remote),
            q => {
                return Err(bad(
                    text,
                    format_args!(
                        "unknown option {q:?}: only congestion=drop|block and \
                         locality=remote|any (joined by &)"
                    ),
                ))
            }
        }
    }
    let (congestion, locality) = (congestion.unwrap_or_default(), locality.unwrap_or_default());
    if key.is_empty() {
        return Err(bad(text, "the key expression is empty"));
    }
    for chunk in key.split('/') {
        if chunk.is_empty() {
            return Err(bad(
                text,
                "a key expression has no empty chunk (`//`, leading or trailing `/`)",
            ));
        }
        if chunk.contains(['#', '?', '$']) {
            return Err(bad(
                text,
                "`#`, `?` and `$` are not allowed in a key expression",
            ));
        }
        if chunk.contains('*') && chunk != "*" && chunk != "**" {
            return Err(bad(
                text,
                "`*` and `**` are whole chunks of a key expression (a/*/b)",
            ));
        }
    }
    if key.contains("**/**") {
        return Err(bad(text, "`**/**` is not canonical: write `**`"));
    }
    Ok(Address::Zenoh {
        key: key.to_string(),
        congestion,
        locality,
    })
}

impl FromStr for Address {
    type Err = Error;

    fn from_str(text: &str) -> Result<Address> {
        let Some((scheme, rest)) = text.split_once(':') else {
            return Err(bad(text, "no `SCHEME:` prefix"));
        };
        match scheme {
            "fifo" => parse_path(text, rest).map(Address::Fifo),
            "unix" => parse_unix_name(text, rest).map(Address::Unix),
            "unix-dgram" => parse_unix_name(text, rest).map(Address::UnixDgram),
            "unix-seqpacket" => parse_unix_name(text, rest).map(Address::UnixSeqpacket),
            "shm-ring" => parse_unix_name(text, rest).map(Address::ShmRing),
            "file" => parse_path(text, rest).map(Address::File),
            "tcp" => parse_tcp(text, rest),
            "sysv-mq" => parse_sysv_mq(text, rest),
            "zenoh" => parse_zenoh(text, rest),
            "posix-mq" => crate::posix::validate_name(rest, "mq_open", crate::posix::NAME_MAX)
                .map(|_| Address::PosixMq(rest.to_string()))
                .map_err(|e| bad(text, e.detail().unwrap_or("not a POSIX message queue name"))),
            other => Err(bad(text, format_args!("unknown scheme {other:?}"))),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = self.scheme();
        match self {
            Address::Fifo(p) => write!(f, "{scheme}:{}", p.display()),
            Address::File(p) => write!(f, "{scheme}:{}", p.display()),
            Address::Unix(n)
            | Address::UnixDgram(n)
            | Address::UnixSeqpacket(n)
            | Address::ShmRing(n) => {
                write!(f, "{scheme}:{n}")
            }
            Address::Tcp { host, port } if host.contains(':') => {
                write!(f, "{scheme}:[{host}]:{port}")
            }
            Address::Tcp { host, port } => write!(f, "{scheme}:{host}:{port}"),
            Address::SysvMq { key, mtype: None } => write!(f, "{scheme}:{key}"),
            Address::SysvMq {
                key,
                mtype: Some(mtype),
            } => write!(f, "{scheme}:{key}:{mtype}"),
            Address::PosixMq(name) => write!(f, "{scheme}:{name}"),
            Address::Zenoh {
                key,
                congestion,
                locality,
            } => {
                write!(f, "{scheme}:{key}")?;
                let mut options = Vec::new();
                if *congestion == ZenohCongestion::Drop {
                    options.push("congestion=drop");
                }
                if *locality == ZenohLocality::Remote {
                    options.push("locality=remote");
                }
                if !options.is_empty() {
                    write!(f, "?{}", options.join("&"))?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in [
            "fifo:/tmp/f",
            "fifo:relative/f",
            "unix:/run/x.sock",
            "unix:@abstract",
            "unix-dgram:/tmp/d",
            "unix-dgram:@d",
            "unix-seqpacket:/tmp/s",
            "unix-seqpacket:@s",
            "tcp:127.0.0.1:9000",
            "tcp:localhost:0",
            "tcp:[::1]:9000",
            "tcp:[fe80::1%lo]:1",
            "sysv-mq:0x000004d2",
            "sysv-mq:0x000004d2:7",
            "sysv-mq:0x000004d2:1",
            "sysv-mq:ftok:/tmp/x:1",
            "sysv-mq:ftok:/tmp/x:1:9",
            "posix-mq:/orders",
            "file:/var/spool/x",
            "zenoh:robot/camera",
            "zenoh:robot/*/cmd",
            "zenoh:**",
            "zenoh:a?congestion=drop",
            "zenoh:a?locality=remote",
            "zenoh:a/*?congestion=drop&locality=remote",
        ] {
            let a: Address = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
            assert_eq!(a.to_string().parse::<Address>().unwrap(), a);
        }
    }

    #[test]
    fn variants() {
        assert_eq!(
            "unix:/a".parse::<Address>().unwrap(),
            Address::Unix(SocketAddr::Path("/a".into()))
        );
        assert_eq!(
            "tcp:[::1]:80".parse::<Address>().unwrap(),
            Address::Tcp {
                host: "::1".into(),
                port: 80
            }
        );
        assert_eq!(
            "unix-seqpacket:@x".parse::<Address>().unwrap(),
            Address::UnixSeqpacket(SocketAddr::abstract_name("x"))
        );
    }

    #[test]
    fn rejects_with_forms() {
        for s in [
            "",
            "nocolon",
            "udp:1:2",
            "fifo:",
            "unix:",
            "unix:@",
            "tcp:host",
            "tcp::80",
            "tcp:h:99999",
            "tcp:h:x",
            "tcp:::1:80",
            "tcp:[::1]80",
            "tcp:[::1:80",
            "zenoh:",
            "zenoh:a//b",
            "zenoh:/a",
            "zenoh:a/",
            "zenoh:a*b",
            "zenoh:a?x=1",
            "zenoh:a?locality=local",
            "zenoh:a?locality=remote&locality=any",
            "zenoh:a?congestion=drop&",
            "zenoh:a?congestion=drop&congestion=block",
            "zenoh:a#b",
            "zenoh:**/**",
        ] {
            let e = s.parse::<Address>().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{s}");
            let msg = e.to_string();
            for form in [
                "fifo:PATH",
                "unix:@NAME",
                "unix-dgram:",
                "unix-seqpacket:",
                "tcp:HOST:PORT",
            ] {
                assert!(msg.contains(form), "{s}: {msg}");
            }
        }
        let long = format!("unix:@{}", "x".repeat(108));
        assert!(long
            .parse::<Address>()
            .unwrap_err()
            .to_string()
            .contains("107"));
        let long = format!("unix:/{}", "x".repeat(107));
        assert!(long.parse::<Address>().is_err());
    }
}
