//! POSIX named semaphores between real processes.

mod common;

use std::time::Duration;

use common::{say, Peer};
use ipckit::posix::sem::{value_max, Semaphore, SEM_NAME_MAX};
use ipckit::ErrorKind;
use ipckit::Named;

const LONG: Duration = Duration::from_secs(30);

fn sname(tag: &str) -> String {
    format!("/{}", common::unique_name(tag))
}

/// Unlinks a semaphore name when dropped (for semaphores a test makes persistent).
struct Unlink(String);
impl Drop for Unlink {
    fn drop(&mut self) {
        let _ = Semaphore::unlink(&self.0);
    }
}

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    common::run_peer(|role, args| match role {
        // post NAME: open and post once.
        "post" => Semaphore::builder(&args[0]).open().unwrap().post().unwrap(),
        // relay IN OUT: wait on IN, then post OUT.
        "relay" => {
            let inp = Semaphore::builder(&args[0]).open().unwrap();
            let out = Semaphore::builder(&args[1]).open().unwrap();
            inp.wait_timeout(LONG).unwrap();
            say(format!("in value {}", inp.value().unwrap()));
            out.post().unwrap();
        }
        // ooc NAME: open_or_create with value 5, report ownership and value, keep it.
        "ooc" => {
            let mut s = Semaphore::builder(&args[0])
                .value(5)
                .open_or_create()
                .unwrap();
            say(format!(
                "owner {} value {}",
                s.is_owner(),
                s.value().unwrap()
            ));
            s.persist();
        }
        other => panic!("unknown peer role {other}"),
    });
}

#[test]
fn a_post_in_one_process_wakes_a_waiter_in_another() {
    let a = Semaphore::builder(&sname("a")).create_new().unwrap();
    let b = Semaphore::builder(&sname("b")).create_new().unwrap();
    let peer = Peer::spawn("relay", &[a.name(), b.name()]);
    a.post().unwrap();
    b.wait_timeout(LONG).unwrap();
    assert_eq!(peer.wait_lines(), vec!["in value 0".to_string()]);
    assert_eq!((a.value().unwrap(), b.value().unwrap()), (0, 0));

    Peer::spawn("post", &[a.name()]).wait_lines();
    assert_eq!(a.value().unwrap(), 1);
    a.wait().unwrap();
}

#[test]
fn try_wait_timeout_and_guard() {
    let s = Semaphore::builder(&sname("ops"))
        .value(2)
        .create_new()
        .unwrap();
    s.try_wait().unwrap();
    {
        let _g = s.acquire().unwrap();
        assert_eq!(s.value().unwrap(), 0);
        assert_eq!(s.try_wait().unwrap_err().kind(), ErrorKind::WouldBlock);
        let e = s.wait_timeout(Duration::from_millis(20)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TimedOut);
        assert!(
            e.to_string()
                .starts_with(&format!("sem_timedwait {}: ETIMEDOUT", s.name())),
            "{e}"
        );
    }
    assert_eq!(s.value().unwrap(), 1);
}

#[test]
fn bad_input_is_refused_with_reasons() {
    let e = Semaphore::builder("/x")
        .value(value_max() + 1)
        .create_new()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("SEM_VALUE_MAX"), "{e}");
    let long = format!("/{}", "s".repeat(SEM_NAME_MAX + 1));
    let e = Semaphore::builder(&long).open_or_create().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("maximum of 251"), "{e}");
    let e = Semaphore::builder("sem").open().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);

    let s = Semaphore::builder(&sname("max"))
        .value(value_max())
        .create_new()
        .unwrap();
    let e = s.post().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitReached, "{e}");
}

#[test]
fn creator_unlinks_on_drop_unless_persisted() {
    let name = sname("own");
    let file = format!("/dev/shm/sem.{}", &name[1..]);
    let s = Semaphore::builder(&name).create_new().unwrap();
    assert!(std::path::Path::new(&file).exists(), "{file}");
    drop(Semaphore::builder(&name).open().unwrap()); // not the owner
    assert!(std::path::Path::new(&file).exists());
    drop(s);
    assert!(!std::path::Path::new(&file).exists());
    assert_eq!(
        Semaphore::builder(&name).open().unwrap_err().kind(),
        ErrorKind::NotFound
    );

    let name = sname("persist");
    let _guard = Unlink(name.clone());
    let lines = Peer::spawn("ooc", &[&name]).wait_lines();
    assert_eq!(lines, vec!["owner true value 5".to_string()]);
    let s = Semaphore::builder(&name).value(1).open_or_create().unwrap();
    assert!(!s.is_owner());
    assert_eq!(
        s.value().unwrap(),
        5,
        "an existing semaphore keeps its value"
    );
    Semaphore::unlink(&name).unwrap();
    assert_eq!(
        Semaphore::unlink(&name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn wait_timeout_accepts_duration_max() {
    // Duration::MAX must neither overflow sem_timedwait's timespec nor be refused: the wait
    // blocks until the other thread posts, then succeeds.
    let name = format!("/{}", common::unique_name("semmax"));
    let s = Semaphore::builder(&name).create_new().unwrap();
    std::thread::scope(|sc| {
        sc.spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            s.post().unwrap();
        });
        s.wait_timeout(Duration::MAX).unwrap();
    });
    assert_eq!(s.value().unwrap(), 0);
}
