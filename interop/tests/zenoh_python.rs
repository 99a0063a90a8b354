//! `ipckit send zenoh:KEY` read by a peer nobody here wrote: Python's `eclipse-zenoh`
//! (interop/peers/zenoh_sub.py) subscribes, and gets every message as one sample, whole and
//! in order: once found by zenoh's scouting alone (no configuration, this machine's
//! loopback), once with `--zenoh-connect` to the endpoint Python listens on.
//!
//! Needs the `ipckit` binary built with the feature (`cargo build -p ipckit-cli --features
//! zenoh`) and `python3 -m pip install eclipse-zenoh==1.10.2` (.ci/run installs it).
#![cfg(feature = "zenoh")]

use ipckit_interop::{have_python_module, Py};
use ipckit_testkit::{assert_ok, ipckit};

const PEER: &str = include_str!("../peers/zenoh_sub.py");

fn messages() -> Vec<String> {
    vec![
        "hello".into(),
        String::new(),
        "ünïcødé, and a tab\there".into(),
        "x".repeat(100_000),
        "last".into(),
    ]
}

fn check(py: Py, key: &str) {
    let want = messages();
    let got = py.finish();
    assert_eq!(got.len(), want.len() + 1, "{got:?}");
    assert_eq!(got.last().map(String::as_str), Some("done"));
    for (line, m) in got.iter().zip(&want) {
        let mut f = line.split(' ');
        assert_eq!(f.next(), Some(m.len().to_string().as_str()));
        let hex: String = m.bytes().map(|b| format!("{b:02x}")).collect();
        assert_eq!(f.next(), Some(hex.as_str()));
        assert_eq!(f.next(), Some(key));
    }
}

fn send(key: &str, extra: &[&str]) {
    let addr = format!("zenoh:{key}");
    let msgs = messages();
    let mut args = vec!["send", addr.as_str()];
    args.extend_from_slice(extra);
    args.extend(msgs.iter().map(String::as_str));
    assert_ok(&ipckit(&args));
}

#[test]
fn python_subscriber_found_by_scouting() {
    if !have_python_module("zenoh") {
        return;
    }
    let key = format!("ipckit/py{}/scout", std::process::id());
    let mut py = Py::start("json, time", PEER, &[&key, &messages().len().to_string()]);
    assert_eq!(py.line(), "ready");
    send(&key, &[]);
    check(py, &key);
}

#[test]
fn python_subscriber_on_an_endpoint() {
    if !have_python_module("zenoh") {
        return;
    }
    let key = format!("ipckit/py{}/endpoint", std::process::id());
    let endpoint = format!("tcp/127.0.0.1:{}", 20_000 + std::process::id() % 20_000);
    let mut py = Py::start(
        "json, time",
        PEER,
        &[&key, &messages().len().to_string(), &endpoint],
    );
    assert_eq!(py.line(), "ready");
    send(&key, &["--zenoh-connect", &endpoint]);
    check(py, &key);
}
