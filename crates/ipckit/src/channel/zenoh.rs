//! The `zenoh:KEY/EXPR` transport (feature `zenoh`): one zenoh sample per message, over an
//! [eclipse zenoh](https://zenoh.io) session in peer mode, so a channel reaches other
//! machines without a broker.
//!
//! - `connect` declares a publisher on the key expression (no wildcards), reliable, with
//!   congestion control `Block` (a full link or a slow subscriber makes `send` wait, nothing
//!   is dropped) unless the address says `?congestion=drop`.
//! - `listen` declares a subscriber (wildcards allowed); every `accept` returns a receiver
//!   of that one subscriber's queue at once (as `posix-mq:`: several receivers share it).
//!   The queue holds [`SUBSCRIBER_QUEUE`] samples; when it is full zenoh's receiving task
//!   waits, which pushes back on the publishers (with `Block`) instead of dropping.
//! - Zenoh pub/sub is not a queue: a sample published while no subscriber matches is gone.
//!   So a sender does not return `Ok` from `send` before a matching subscriber is known
//!   (zenoh's matching status): the first `send` (and any `send` after the last subscriber
//!   went away) waits for one, up to [`ChannelOptions::zenoh_match_timeout`], then fails
//!   with `TimedOut` and nothing was sent.
//! - `?locality=remote` ([`ZenohLocality::Remote`]): the publisher is declared with
//!   `allowed_destination(Locality::Remote)` and the subscriber with
//!   `allowed_origin(Locality::Remote)`, so a process that publishes and subscribes on one
//!   key (`ipckit bridge --both-ways`) neither hears itself nor counts its own subscriber as
//!   the match a first `send` waits for. Zenoh 1.10's matching status honours the
//!   publisher's destination (`Session::matching_status` asks only the routing tables for
//!   `Remote`, and they leave out the session's own face), so "sent" stays honest.
//! - What can still be lost: samples in flight (in the sender's zenoh queues, on the wire,
//!   or in the subscriber's queue) when the subscriber's process dies or its link breaks;
//!   samples sent between a subscriber's disappearance and the moment the sender's zenoh
//!   learns of it. Zenoh (without its "advanced" publishers) keeps no history and resends
//!   nothing across a restart.
//!
//! One zenoh session per process and configuration is opened on first use and shared by
//! every end opened with the same settings; the last one dropped closes it, which flushes
//! what zenoh still queues for the network. A process that exits without dropping its
//! sender (`std::process::exit`, a signal) can lose what its last `send`s queued.

use std::os::fd::BorrowedFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zenoh::handlers::FifoChannelHandler;
use zenoh::matching::{MatchingListener, MatchingStatus};
use zenoh::pubsub::{Publisher, Subscriber};
use zenoh::qos::CongestionControl;
use zenoh::sample::{Locality, Sample};
use zenoh::{Session, Wait};

use super::ends::{ReceiverFlavor, SenderFlavor};
use super::listener::{Listen, ListenerFlavor};
use super::{Address, ChannelOptions, Incoming, Outgoing, ZenohCongestion, ZenohLocality};
use crate::sys::Deadline;
use crate::{Error, ErrorKind, Result};

/// How many samples a subscriber's queue holds before zenoh's receiving task waits.
pub const SUBSCRIBER_QUEUE: usize = 1024;

/// What selects a session: the zenoh configuration asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Settings {
    config: Option<std::path::PathBuf>,
    connect: Vec<String>,
    listen: Vec<String>,
}

fn env_list(name: &str) -> Vec<String> {
    std::env::var(name)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

impl Settings {
    /// The options' endpoints, else the environment's (`IPCKIT_ZENOH_*`).
    fn resolve(opts: &ChannelOptions) -> Settings {
        let z = opts.zenoh();
        Settings {
            config: z
                .config
                .clone()
                .or_else(|| std::env::var_os("IPCKIT_ZENOH_CONFIG").map(Into::into)),
            connect: if z.connect.is_empty() {
                env_list("IPCKIT_ZENOH_CONNECT")
            } else {
                z.connect.clone()
            },
            listen: if z.listen.is_empty() {
                env_list("IPCKIT_ZENOH_LISTEN")
            } else {
                z.listen.clone()
            },
        }
    }

    fn config(&self, object: &str) -> Result<zenoh::Config> {
        let fail = |what: &str, e: zenoh::Error| {
            Error::new(ErrorKind::InvalidInput, "zenoh config", object)
                .with_detail(format!("{what}: {e}"))
        };
        let mut config = match &self.config {
            Some(path) => zenoh::Config::from_file(path)
                .map_err(|e| fail(&format!("config file {}", path.display()), e))?,
            None => zenoh::Config::default(),
        };
        let json = |list: &[String]| {
            let quoted: Vec<String> = list.iter().map(|e| format!("{e:?}")).collect();
            format!("[{}]", quoted.join(","))
        };
        if !self.connect.is_empty() {
            config
                .insert_json5("connect/endpoints", &json(&self.connect))
                .map_err(|e| fail(&format!("connect endpoints {:?}", self.connect), e))?;
        }
        if !self.listen.is_empty() {
            config
                .insert_json5("listen/endpoints", &json(&self.listen))
                .map_err(|e| fail(&format!("listen endpoints {:?}", self.listen), e))?;
        }
        Ok(config)
    }
}

/// A session shared by the ends opened with the same settings; the last end dropped
/// closes it, which flushes what zenoh still holds for the network (zenoh's `put` returns
/// once a sample is queued, not once it is on the wire) before the process goes on or exits.
pub(crate) struct Shared(Session);

impl Drop for Shared {
    fn drop(&mut self) {
        let _ = self.0.close().wait();
    }
}

/// The process's sessions, one per configuration, while any end uses them.
static SESSIONS: Mutex<Vec<(Settings, std::sync::Weak<Shared>)>> = Mutex::new(Vec::new());

fn session(opts: &ChannelOptions, object: &str) -> Result<Arc<Shared>> {
    let settings = Settings::resolve(opts);
    let mut sessions = SESSIONS.lock().unwrap_or_else(|e| e.into_inner());
    sessions.retain(|(_, s)| s.strong_count() > 0);
    if let Some(s) = sessions
        .iter()
        .find(|(k, _)| *k == settings)
        .and_then(|(_, s)| s.upgrade())
    {
        return Ok(s);
    }
    let config = settings.config(object)?;
    let s = zenoh::open(config).wait().map_err(|e| {
        Error::new(ErrorKind::Other, "zenoh open", object).with_detail(format!(
            "opening the zenoh session ({settings:?}) failed: {e}"
        ))
    })?;
    let shared = Arc::new(Shared(s));
    sessions.push((settings, Arc::downgrade(&shared)));
    Ok(shared)
}

fn locality(l: ZenohLocality) -> Locality {
    match l {
        ZenohLocality::Any => Locality::Any,
        ZenohLocality::Remote => Locality::Remote,
    }
}

fn zenoh_error(kind: ErrorKind, op: &'static str, object: &str, e: zenoh::Error) -> Error {
    Error::new(kind, op, object).with_detail(e.to_string())
}

fn too_large(op: &'static str, object: &str, len: usize, max: usize) -> Error {
    Error::new(ErrorKind::TooLarge, op, object).with_detail(format!(
        "message of {len} bytes exceeds the maximum of {max} bytes"
    ))
}

/// Declares a publisher on `key` (no wildcards).
pub(super) fn connect(
    key: &str,
    congestion: ZenohCongestion,
    place: ZenohLocality,
    opts: &ChannelOptions,
) -> Result<Outgoing> {
    let object = Address::Zenoh {
        key: key.to_string(),
        congestion,
        locality: place,
    }
    .to_string();
    if key.contains('*') {
        return Err(
            Error::new(ErrorKind::InvalidInput, "connect", &object).with_detail(
                "a zenoh sender publishes on one key: wildcards (`*`, `**`) are for listening",
            ),
        );
    }
    let session = session(opts, &object)?;
    let publisher = session
        .0
        .declare_publisher(key.to_string())
        .congestion_control(match congestion {
            ZenohCongestion::Block => CongestionControl::Block,
            ZenohCongestion::Drop => CongestionControl::Drop,
        })
        .allowed_destination(locality(place))
        .wait()
        .map_err(|e| zenoh_error(ErrorKind::InvalidInput, "declare_publisher", &object, e))?;
    let matching = publisher
        .matching_listener()
        .wait()
        .map_err(|e| zenoh_error(ErrorKind::Other, "matching_listener", &object, e))?;
    let matched = publisher
        .matching_status()
        .wait()
        .map(|m| m.matching())
        .unwrap_or(false);
    Ok(Outgoing::Messages(SenderFlavor::Zenoh(Box::new(
        ZenohSender {
            publisher,
            matching,
            matched,
            max: opts.max_message(),
            match_timeout: opts.zenoh_match_timeout(),
            object,
            _session: session,
        },
    ))))
}

/// Declares a subscriber on `key` (wildcards allowed).
pub(super) fn listen(
    key: &str,
    congestion: ZenohCongestion,
    place: ZenohLocality,
    opts: &ChannelOptions,
) -> Result<(ListenerFlavor, Address)> {
    let address = Address::Zenoh {
        key: key.to_string(),
        congestion,
        locality: place,
    };
    let object = address.to_string();
    let session = session(opts, &object)?;
    let subscriber = session
        .0
        .declare_subscriber(key.to_string())
        .with(zenoh::handlers::FifoChannel::new(SUBSCRIBER_QUEUE))
        .allowed_origin(locality(place))
        .wait()
        .map_err(|e| zenoh_error(ErrorKind::InvalidInput, "declare_subscriber", &object, e))?;
    Ok((
        ListenerFlavor::Zenoh(ZenohListener {
            subscriber: Arc::new(Sub {
                subscriber,
                _session: session,
            }),
            max: opts.max_message(),
            object,
        }),
        address,
    ))
}

/// A publisher, and what it knows of matching subscribers.
pub(crate) struct ZenohSender {
    publisher: Publisher<'static>,
    matching: MatchingListener<FifoChannelHandler<MatchingStatus>>,
    matched: bool,
    max: usize,
    match_timeout: Duration,
    object: String,
    /// Last: dropped after the publisher.
    _session: Arc<Shared>,
}

impl std::fmt::Debug for ZenohSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZenohSender")
            .field("key", &self.publisher.key_expr().as_str())
            .field("matched", &self.matched)
            .finish_non_exhaustive()
    }
}

impl ZenohSender {
    /// Takes in every matching change zenoh reported so far.
    fn update(&mut self) {
        while let Ok(Some(status)) = self.matching.try_recv() {
            self.matched = status.matching();
        }
    }

    /// Waits until a subscriber matches, up to the match timeout.
    fn wait_matched(&mut self) -> Result<()> {
        self.update();
        let until = Instant::now() + self.match_timeout.min(Duration::from_secs(86400 * 365));
        while !self.matched {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(
                    Error::new(ErrorKind::TimedOut, "put", &self.object).with_detail(format!(
                        "no zenoh subscriber matched within {:?}: nothing was sent (zenoh \
                         drops what nobody subscribes to)",
                        self.match_timeout
                    )),
                );
            }
            match self
                .matching
                .recv_timeout(left.min(Duration::from_millis(200)))
            {
                Ok(Some(status)) => self.matched = status.matching(),
                Ok(None) => {
                    // A status change can be missed between declaring and listening: ask.
                    if let Ok(m) = self.publisher.matching_status().wait() {
                        self.matched = m.matching();
                    }
                }
                Err(e) => return Err(zenoh_error(ErrorKind::Other, "put", &self.object, e)),
            }
        }
        Ok(())
    }

    pub(super) fn send(&mut self, msg: &[u8]) -> Result<()> {
        if msg.len() > self.max {
            return Err(too_large("put", &self.object, msg.len(), self.max));
        }
        self.wait_matched()?;
        self.publisher
            .put(msg.to_vec())
            .wait()
            .map_err(|e| zenoh_error(ErrorKind::PeerGone, "put", &self.object, e))
    }

    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        None
    }
}

/// A subscriber and its session (dropped after it).
pub(crate) struct Sub {
    subscriber: Subscriber<FifoChannelHandler<Sample>>,
    _session: Arc<Shared>,
}

impl std::ops::Deref for Sub {
    type Target = Subscriber<FifoChannelHandler<Sample>>;
    fn deref(&self) -> &Self::Target {
        &self.subscriber
    }
}

type ZSubscriber = Sub;

/// A receiver of the listener's subscriber queue.
pub(crate) struct ZenohReceiver {
    subscriber: Arc<ZSubscriber>,
    max: usize,
    object: String,
}

impl std::fmt::Debug for ZenohReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZenohReceiver")
            .field("key", &self.subscriber.key_expr().as_str())
            .finish_non_exhaustive()
    }
}

impl ZenohReceiver {
    fn take(&self, sample: Sample, buf: &mut Vec<u8>) -> Result<usize> {
        let payload = sample.payload();
        let len = payload.len();
        if len > self.max {
            return Err(too_large("recv", &self.object, len, self.max));
        }
        buf.clear();
        buf.extend_from_slice(&payload.to_bytes());
        Ok(len)
    }

    fn gone(&self, e: zenoh::Error) -> Error {
        zenoh_error(ErrorKind::PeerGone, "recv", &self.object, e)
    }

    pub(super) fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        let sample = self.subscriber.recv().map_err(|e| self.gone(e))?;
        self.take(sample, buf)
    }

    pub(super) fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        match self.subscriber.try_recv().map_err(|e| self.gone(e))? {
            Some(sample) => self.take(sample, buf),
            None => Err(Error::new(ErrorKind::WouldBlock, "recv", &self.object)),
        }
    }

    pub(super) fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize> {
        let got = match Instant::now().checked_add(timeout) {
            Some(deadline) => self.subscriber.recv_deadline(deadline),
            None => self.subscriber.recv().map(Some),
        };
        match got.map_err(|e| self.gone(e))? {
            Some(sample) => self.take(sample, buf),
            None => Err(Error::new(ErrorKind::TimedOut, "recv", &self.object)),
        }
    }

    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        None
    }
}

/// A declared subscriber; every accept shares its queue.
pub(crate) struct ZenohListener {
    subscriber: Arc<ZSubscriber>,
    max: usize,
    object: String,
}

impl std::fmt::Debug for ZenohListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZenohListener")
            .field("key", &self.subscriber.key_expr().as_str())
            .finish_non_exhaustive()
    }
}

impl Listen for ZenohListener {
    fn accept(&mut self, _deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        Ok(Some(Incoming::Messages(ReceiverFlavor::Zenoh(Box::new(
            ZenohReceiver {
                subscriber: Arc::clone(&self.subscriber),
                max: self.max,
                object: self.object.clone(),
            },
        )))))
    }

    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        None
    }
}
