//! POSIX shared memory and process-shared semaphores inside it, between real processes.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{say, Peer};
use ipckit::mmap::MappedBytes;
use ipckit::posix::sem::UnnamedSemaphore;
use ipckit::posix::shm::SharedMemory;
use ipckit::ErrorKind;
use ipckit::Named;

const LONG: Duration = Duration::from_secs(30);
const TO_PARENT: usize = 0;
const TO_PEER: usize = 64;
const LEN_AT: usize = 128;
const DATA_AT: usize = 256;

fn mname(tag: &str) -> String {
    format!("/{}", common::unique_name(tag))
}

/// Unlinks a name when dropped (for objects a test makes persistent).
struct Unlink(String);
impl Drop for Unlink {
    fn drop(&mut self) {
        let _ = SharedMemory::unlink(&self.0);
    }
}

fn put(shm: &SharedMemory, msg: &[u8]) {
    shm.write(DATA_AT, msg).unwrap();
    shm.write_volatile_u64(LEN_AT, msg.len() as u64).unwrap();
}

fn get(shm: &SharedMemory) -> Vec<u8> {
    let n = shm.read_volatile_u64(LEN_AT).unwrap() as usize;
    let mut v = vec![0; n];
    shm.read(DATA_AT, &mut v).unwrap();
    v
}

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    common::run_peer(|role, args| match role {
        // echo NAME: send a message to the parent, wait for its reply, print it.
        "echo" => {
            let shm = SharedMemory::builder(&args[0]).open().unwrap();
            assert!(!shm.is_owner());
            let to_parent = UnnamedSemaphore::at(&shm, TO_PARENT).unwrap();
            let to_peer = UnnamedSemaphore::at(&shm, TO_PEER).unwrap();
            put(&shm, b"ping from the peer");
            to_parent.post().unwrap();
            to_peer.wait_timeout(LONG).unwrap();
            say(String::from_utf8(get(&shm)).unwrap());
        }
        // count NAME N: add 1 to the u64 at 0, N times.
        "count" => {
            let shm = SharedMemory::builder(&args[0]).open().unwrap();
            let c = shm.atomic_u64(0).unwrap();
            for _ in 0..args[1].parse::<u32>().unwrap() {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
        // len NAME: print the mapped length.
        "len" => say(SharedMemory::builder(&args[0])
            .read_only()
            .open()
            .unwrap()
            .len()),
        other => panic!("unknown peer role {other}"),
    });
}

#[test]
fn data_and_semaphore_hand_off_both_ways() {
    let shm = SharedMemory::builder(&mname("echo"))
        .size(4096)
        .create_new()
        .unwrap();
    let to_parent = UnnamedSemaphore::init(&shm, TO_PARENT, 0).unwrap();
    let to_peer = UnnamedSemaphore::init(&shm, TO_PEER, 0).unwrap();
    let peer = Peer::spawn("echo", &[shm.name()]);
    to_parent.wait_timeout(LONG).unwrap();
    assert_eq!(get(&shm), b"ping from the peer");
    put(&shm, b"pong from the parent");
    to_peer.post().unwrap();
    assert_eq!(peer.wait_lines(), vec!["pong from the parent".to_string()]);
    assert_eq!(to_parent.value().unwrap(), 0);
}

#[test]
fn atomics_are_shared_between_processes() {
    let shm = SharedMemory::builder(&mname("count"))
        .size(64)
        .create_new()
        .unwrap();
    let a = Peer::spawn("count", &[shm.name(), "20000"]);
    let c = shm.atomic_u64(0).unwrap();
    for _ in 0..20000 {
        c.fetch_add(1, Ordering::Relaxed);
    }
    a.wait_lines();
    assert_eq!(c.load(Ordering::SeqCst), 40000);
}

#[test]
fn read_only_mapping_refuses_writes() {
    let shm = SharedMemory::builder(&mname("ro"))
        .size(64)
        .create_new()
        .unwrap();
    shm.write(0, b"visible").unwrap();
    let ro = SharedMemory::builder(shm.name())
        .read_only()
        .open()
        .unwrap();
    assert!(!ro.is_writable());
    let mut b = [0; 7];
    ro.read(0, &mut b).unwrap();
    assert_eq!(&b, b"visible");
    assert_eq!(
        ro.write(0, b"x").unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    assert_eq!(
        ro.atomic_u32(0).unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    let e = UnnamedSemaphore::at(&ro, 0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    let e = SharedMemory::builder(&mname("rocreate"))
        .size(8)
        .read_only()
        .create_new()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn out_of_bounds_and_misaligned_are_errors() {
    let shm = SharedMemory::builder(&mname("bounds"))
        .size(100)
        .create_new()
        .unwrap();
    let e = shm.read(90, &mut [0; 11]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("11 bytes at offset 90"), "{e}");
    assert_eq!(
        shm.write(usize::MAX, b"x").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        shm.read_volatile_u64(3).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        shm.atomic_u64(96).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let e = UnnamedSemaphore::init(&shm, 4, 0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("multiple of"), "{e}");
    assert!(UnnamedSemaphore::init(&shm, 96, 0).is_err(), "does not fit");
    let e = SharedMemory::builder(&mname("nosize"))
        .create_new()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn resize_is_seen_by_processes_that_open_later_and_by_remap() {
    let mut shm = SharedMemory::builder(&mname("resize"))
        .size(100)
        .create_new()
        .unwrap();
    let mut other = SharedMemory::builder(shm.name()).open().unwrap();
    shm.write(0, b"kept").unwrap();
    shm.resize(10000).unwrap();
    assert_eq!(shm.len(), 10000);
    assert_eq!(
        Peer::spawn("len", &[shm.name()]).wait_lines(),
        vec!["10000".to_string()]
    );
    assert_eq!((other.len(), other.object_len().unwrap()), (100, 10000));
    other.remap().unwrap();
    assert_eq!(other.len(), 10000);
    let mut b = [0; 4];
    other.read(0, &mut b).unwrap();
    assert_eq!(&b, b"kept");
    other.write(9999, b"!").unwrap();
}

#[test]
fn creator_unlinks_on_drop_unless_persisted() {
    let name = mname("own");
    let file = format!("/dev/shm/{}", &name[1..]);
    let shm = SharedMemory::builder(&name).size(10).create_new().unwrap();
    assert!(std::path::Path::new(&file).exists(), "{file}");
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 10);
    drop(SharedMemory::builder(&name).open().unwrap());
    assert!(std::path::Path::new(&file).exists());
    drop(shm);
    assert!(!std::path::Path::new(&file).exists());

    let name = mname("persist");
    let _guard = Unlink(name.clone());
    let mut shm = SharedMemory::builder(&name)
        .size(10)
        .open_or_create()
        .unwrap();
    assert!(shm.is_owner());
    shm.persist();
    drop(shm);
    let again = SharedMemory::builder(&name)
        .size(99)
        .open_or_create()
        .unwrap();
    assert!(!again.is_owner());
    assert_eq!(again.len(), 10, "an existing object keeps its size");
    SharedMemory::unlink(&name).unwrap();
    assert_eq!(
        SharedMemory::unlink(&name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn an_empty_object_maps_as_zero_bytes() {
    let shm = SharedMemory::builder(&mname("empty"))
        .size(0)
        .create_new()
        .unwrap();
    assert_eq!(shm.len(), 0);
    assert!(shm.is_empty());
    assert_eq!(shm.to_vec(), Vec::<u8>::new());
    assert_eq!(
        shm.read(0, &mut [0; 1]).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    shm.read(0, &mut []).unwrap();
    let other = SharedMemory::builder(shm.name()).open().unwrap();
    assert_eq!(other.len(), 0);
}

#[test]
fn handles_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<SharedMemory>();
    send_sync::<ipckit::mmap::MappedFile>();
    send_sync::<ipckit::posix::sem::Semaphore>();
    send_sync::<UnnamedSemaphore<'static>>();
    send_sync::<ipckit::posix::mq::MessageQueue>();
}
