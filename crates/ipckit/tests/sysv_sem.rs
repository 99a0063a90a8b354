//! System V semaphore sets between real processes.

mod common;
mod sysv_support;

use std::time::Duration;

use common::{say, unique_key, Peer};
use ipckit::sysv::key::Key;
use ipckit::sysv::sem::{SemOp, SemaphoreSet, SEMVMX};
use ipckit::ErrorKind;
use ipckit::Named;
use sysv_support::wait_until;

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    common::run_peer(|role, args| {
        // libtest printed "test peer ... " without a newline: start the said lines afresh.
        println!();
        let key: Key = args[0].parse().unwrap();
        match role {
            // open_or_create with values [3]; says who created it and the value first seen.
            "race" => {
                let mut set = SemaphoreSet::builder(key, 1)
                    .values(&[3])
                    .open_or_create()
                    .unwrap();
                let v = set.get(0).unwrap();
                say(if set.is_owner() { "created" } else { "opened" });
                say(v);
                set.persist(); // the test removes it
            }
            // P(0) with SEM_UNDO, announce it by V(1), then hold forever.
            "hold" => {
                let set = SemaphoreSet::builder(key, 2).open().unwrap();
                let _g = set.acquire(0).unwrap();
                set.op(&[SemOp::post(1)]).unwrap();
                loop {
                    std::thread::sleep(Duration::from_secs(60));
                }
            }
            // Waits for semaphore 0 to be zero.
            "wait-zero" => {
                let set = SemaphoreSet::builder(key, 1).open().unwrap();
                set.op(&[SemOp::wait_zero(0)]).unwrap();
                say("zero");
            }
            // Acquires semaphore 0 (blocking) and releases it.
            "acquire" => {
                let set = SemaphoreSet::builder(key, 1).open().unwrap();
                let g = set.acquire(0).unwrap();
                say("got");
                g.release().unwrap();
            }
            // Blocks on semaphore 0 until the set is removed.
            "block-until-removed" => {
                let set = SemaphoreSet::builder(key, 1).open().unwrap();
                say(format!(
                    "{:?}",
                    set.op(&[SemOp::wait(0)]).unwrap_err().kind()
                ));
            }
            other => panic!("unknown peer role {other}"),
        }
    });
}

/// Removes the set with this key when dropped (for sets a peer persisted).
struct RemoveByKey(Key);

impl Drop for RemoveByKey {
    fn drop(&mut self) {
        if let Ok(s) = SemaphoreSet::builder(self.0, 0).no_init_wait().open() {
            let _ = s.remove();
        }
    }
}

#[test]
fn racing_open_or_create_initialises_once_and_nobody_sees_zero() {
    let key = Key::new(unique_key());
    let _cleanup = RemoveByKey(key);
    let k = key.to_string();
    let peers: Vec<Peer> = (0..4).map(|_| Peer::spawn("race", &[&k])).collect();
    let mut created = 0;
    for p in peers {
        let lines = p.wait_lines();
        assert_eq!(
            lines[1], "3",
            "a peer saw an uninitialised value: {lines:?}"
        );
        created += usize::from(lines[0] == "created");
    }
    assert_eq!(created, 1);
    let set = SemaphoreSet::builder(key, 1).open().unwrap();
    assert_eq!(set.get(0).unwrap(), 3);
}

#[test]
fn sem_undo_gives_back_what_a_killed_holder_held() {
    let key = Key::new(unique_key());
    let set = SemaphoreSet::builder(key, 2)
        .values(&[1, 0])
        .create_new()
        .unwrap();
    let mut peer = Peer::spawn("hold", &[&key.to_string()]);
    // The peer posts semaphore 1 once it holds semaphore 0.
    set.op_timeout(&[SemOp::wait(1)], Duration::from_secs(30))
        .unwrap();
    assert_eq!(set.get(0).unwrap(), 0);
    assert_eq!(set.pid(0).unwrap(), peer.pid() as i32);
    assert_eq!(
        set.try_acquire(0).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    peer.child_mut().kill().unwrap(); // SIGKILL
    let status = peer.wait();
    assert!(!status.success());
    assert_eq!(set.get(0).unwrap(), 1, "SEM_UNDO gave the semaphore back");
    let _g = set.try_acquire(0).unwrap();
}

#[test]
fn wait_for_zero_across_processes() {
    let key = Key::new(unique_key());
    let set = SemaphoreSet::builder(key, 1)
        .values(&[2])
        .create_new()
        .unwrap();
    let peer = Peer::spawn("wait-zero", &[&key.to_string()]);
    wait_until("the peer waits for zero", || set.zcnt(0).unwrap() == 1);
    set.op(&[SemOp::new(0, -2)]).unwrap();
    assert_eq!(peer.wait_lines(), ["zero"]);
    assert_eq!(set.zcnt(0).unwrap(), 0);
}

#[test]
fn a_post_wakes_a_process_waiting_to_acquire() {
    let key = Key::new(unique_key());
    let set = SemaphoreSet::builder(key, 1).create_new().unwrap();
    let peer = Peer::spawn("acquire", &[&key.to_string()]);
    let pid = peer.pid() as i32;
    wait_until("the peer waits to acquire", || set.ncnt(0).unwrap() == 1);
    set.op(&[SemOp::post(0)]).unwrap();
    assert_eq!(peer.wait_lines(), ["got"]);
    assert_eq!((set.get(0).unwrap(), set.ncnt(0).unwrap()), (1, 0));
    assert_eq!(set.pid(0).unwrap(), pid);
}

#[test]
fn removing_the_set_wakes_a_waiter_with_peer_gone() {
    let key = Key::new(unique_key());
    let set = SemaphoreSet::builder(key, 1).create_new().unwrap();
    let peer = Peer::spawn("block-until-removed", &[&key.to_string()]);
    wait_until("the peer waits", || set.ncnt(0).unwrap() == 1);
    set.remove().unwrap();
    assert_eq!(peer.wait_lines(), ["PeerGone"]);
}

#[test]
fn ops_are_atomic_over_the_set() {
    let set = SemaphoreSet::builder(Key::PRIVATE, 3)
        .values(&[1, 1, 0])
        .create_new()
        .unwrap();
    let e = set
        .op(&[SemOp::wait(0), SemOp::wait(1), SemOp::wait(2).nowait()])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert_eq!(set.values().unwrap(), [1, 1, 0]);
    let e = set
        .op_timeout(&[SemOp::wait(0), SemOp::wait(2)], Duration::from_millis(20))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert_eq!(set.values().unwrap(), [1, 1, 0]);
    set.op(&[SemOp::wait(0), SemOp::wait(1), SemOp::new(2, 5)])
        .unwrap();
    assert_eq!(set.values().unwrap(), [0, 0, 5]);
    set.op_timeout(&[SemOp::new(2, -5)], Duration::from_secs(1))
        .unwrap();
    assert_eq!(set.get(2).unwrap(), 0);
}

#[test]
fn values_stat_and_bad_input() {
    let key = Key::new(unique_key());
    let set = SemaphoreSet::builder(key, 2)
        .mode(0o640)
        .values(&[0, SEMVMX])
        .create_new()
        .unwrap();
    let st = set.stat().unwrap();
    assert_eq!((st.nsems, st.perm.mode, st.perm.key), (2, 0o640, key));
    assert!(st.otime.is_some() && st.ctime.is_some());
    assert_eq!(set.values().unwrap(), [0, SEMVMX]);
    set.set(0, 9).unwrap();
    set.set_values(&[4, 5]).unwrap();
    assert_eq!((set.get(0).unwrap(), set.get(1).unwrap()), (4, 5));
    set.set_mode(0o600).unwrap();
    assert_eq!(set.stat().unwrap().perm.mode, 0o600);

    let kind = |r: ipckit::Result<()>| r.unwrap_err().kind();
    assert_eq!(kind(set.set(2, 1)), ErrorKind::InvalidInput);
    assert_eq!(kind(set.set(0, SEMVMX + 1)), ErrorKind::InvalidInput);
    assert_eq!(kind(set.set_values(&[1])), ErrorKind::InvalidInput);
    assert_eq!(kind(set.op(&[])), ErrorKind::InvalidInput);
    assert_eq!(kind(set.op(&[SemOp::wait(7)])), ErrorKind::InvalidInput);
    set.set(1, SEMVMX).unwrap();
    assert_eq!(
        kind(set.op(&[SemOp::post(1).nowait()])),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        SemaphoreSet::builder(key, 1)
            .create_new()
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        SemaphoreSet::builder(key, 3).open().unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        SemaphoreSet::builder(Key::PRIVATE, 2)
            .values(&[1])
            .create_new()
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        SemaphoreSet::builder(Key::PRIVATE, usize::MAX)
            .create_new()
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    let id = set.id();
    drop(set);
    assert_eq!(
        SemaphoreSet::from_id(id).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn timed_calls_accept_duration_max() {
    // Duration::MAX must neither overflow semtimedop's timespec nor be refused: the waits
    // block until the other thread posts, then succeed.
    let set = SemaphoreSet::builder(Key::PRIVATE, 1).create_new().unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            set.op(&[SemOp::post(0)]).unwrap();
        });
        set.op_timeout(&[SemOp::wait(0)], Duration::MAX).unwrap();
    });
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            set.op(&[SemOp::post(0)]).unwrap();
        });
        set.acquire_timeout(0, Duration::MAX)
            .unwrap()
            .release()
            .unwrap();
    });
    let again = SemaphoreSet::from_id(set.id()).unwrap();
    assert_eq!(again.get(0).unwrap(), 1);
}
