//! System V shared memory between real processes.

mod common;
mod sysv_support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{say, unique_key, Peer};
use ipckit::mmap::MappedBytes;
use ipckit::sysv::key::Key;
use ipckit::sysv::shm::SharedMemory;
use ipckit::ErrorKind;
use ipckit::Named;
use sysv_support::wait_until;

const ROUNDS: u32 = 20_000;

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    common::run_peer(|role, args| {
        // libtest printed "test peer ... " without a newline: start the said lines afresh.
        println!();
        let key: Key = args[0].parse().unwrap();
        let seg = SharedMemory::builder(key, 0).open().unwrap();
        assert!(!seg.is_owner());
        match role {
            // Reads the NUL-terminated string at 0 read-only, then writes a reply at 64.
            "read-reply" => {
                let r = seg.attach_read_only().unwrap().to_vec();
                let end = r.iter().position(|&b| b == 0).unwrap();
                say(String::from_utf8_lossy(&r[..end]));
                let w = seg.attach().unwrap();
                w.write(64, b"reply from the peer\0").unwrap();
            }
            // Increments the counter at 0 ROUNDS times, concurrently with the test.
            "count" => {
                let a = seg.attach().unwrap();
                let c = a.atomic_u32(0).unwrap();
                a.atomic_u32(4).unwrap().store(1, Ordering::SeqCst); // started
                for _ in 0..ROUNDS {
                    c.fetch_add(1, Ordering::Relaxed);
                }
            }
            // Attaches, says so through the flag at 0, waits for 2, detaches.
            "attach-hold" => {
                let a = seg.attach().unwrap();
                let flag = a.atomic_u32(0).unwrap();
                flag.store(1, Ordering::SeqCst);
                while flag.load(Ordering::SeqCst) != 2 {
                    std::thread::sleep(Duration::from_millis(1));
                }
                a.detach().unwrap();
            }
            other => panic!("unknown peer role {other}"),
        }
    });
}

#[test]
fn writer_and_reader_in_different_processes() {
    let key = Key::new(unique_key());
    let seg = SharedMemory::builder(key, 128).create_new().unwrap();
    let a = seg.attach().unwrap();
    a.write(0, b"Linux Programming\0").unwrap();
    let peer = Peer::spawn("read-reply", &[&key.to_string()]);
    assert_eq!(peer.wait_lines(), ["Linux Programming"]);
    let mut reply = [0u8; 19];
    a.read(64, &mut reply).unwrap();
    assert_eq!(&reply, b"reply from the peer");
    assert_eq!(a.len(), 128);
}

#[test]
fn atomics_are_shared_between_processes() {
    let key = Key::new(unique_key());
    let seg = SharedMemory::builder(key, 8).create_new().unwrap();
    let a = seg.attach().unwrap();
    let peer = Peer::spawn("count", &[&key.to_string()]);
    let started = a.atomic_u32(4).unwrap();
    wait_until("the peer starts counting", || {
        started.load(Ordering::SeqCst) == 1
    });
    let c = a.atomic_u32(0).unwrap();
    for _ in 0..ROUNDS {
        c.fetch_add(1, Ordering::Relaxed);
    }
    peer.wait_lines();
    assert_eq!(c.load(Ordering::SeqCst), 2 * ROUNDS);
}

#[test]
fn stat_counts_attachments_of_other_processes() {
    let key = Key::new(unique_key());
    let seg = SharedMemory::builder(key, 4096)
        .mode(0o640)
        .create_new()
        .unwrap();
    let st = seg.stat().unwrap();
    assert_eq!(
        (st.size, st.nattch, st.perm.mode, st.perm.key),
        (4096, 0, 0o640, key)
    );
    assert_eq!(st.cpid, std::process::id() as i32);
    assert!(st.atime.is_none() && st.dtime.is_none() && !st.dest && !st.locked);

    let a = seg.attach().unwrap();
    let peer = Peer::spawn("attach-hold", &[&key.to_string()]);
    let pid = peer.pid() as i32;
    let flag = a.atomic_u32(0).unwrap();
    wait_until("the peer attaches", || flag.load(Ordering::SeqCst) == 1);
    let st = seg.stat().unwrap();
    assert_eq!((st.nattch, st.lpid), (2, pid));
    assert!(st.atime.is_some());
    flag.store(2, Ordering::SeqCst);
    peer.wait_lines();
    let st = seg.stat().unwrap();
    assert_eq!((st.nattch, st.lpid), (1, pid));
    assert!(st.dtime.is_some());
}

#[test]
fn marked_for_removal_lives_until_the_last_detach() {
    let key = Key::new(unique_key());
    let mut seg = SharedMemory::builder(key, 16).create_new().unwrap();
    let a = seg.attach().unwrap();
    a.write(0, b"kept").unwrap();
    seg.mark_for_removal().unwrap();
    let st = seg.stat().unwrap();
    assert!(st.dest);
    assert_eq!((st.nattch, st.perm.key), (1, Key::PRIVATE));
    assert_eq!(&a.to_vec()[..4], b"kept");
    assert_eq!(
        SharedMemory::builder(key, 0).open().unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let id = seg.id();
    drop(a);
    assert_eq!(
        SharedMemory::from_id(id).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn ownership_and_bad_input() {
    let key = Key::new(unique_key());
    assert_eq!(
        SharedMemory::builder(key, 0)
            .create_new()
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    let seg = SharedMemory::builder(key, 10).create_new().unwrap();
    assert_eq!(
        SharedMemory::builder(key, 10)
            .create_new()
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        SharedMemory::builder(key, 11).open().unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let opened = SharedMemory::builder(key, 10).open_or_create().unwrap();
    assert!(!opened.is_owner());
    drop(opened);
    let r = seg.attach_read_only().unwrap();
    assert!(r.is_read_only() && !r.is_writable());
    assert_eq!(
        r.write(0, b"x").unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    assert_eq!(
        r.fill(0, 1, 0).unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    assert_eq!(
        r.write_volatile_u8(0, 1).unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    assert_eq!(
        r.atomic_u32(0).unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    let w = seg.attach().unwrap();
    assert_eq!(
        w.write(9, b"xy").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        w.write(usize::MAX, b"x").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(w.atomic_u32(8).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(w.atomic_u32(2).unwrap_err().kind(), ErrorKind::InvalidInput);
    w.write(9, b"z").unwrap();
    assert_eq!(r.read_volatile_u8(9).unwrap(), b'z');

    // persist keeps it after the creator's handle drops.
    let id = seg.id();
    let mut seg = seg;
    seg.persist();
    drop(seg);
    let again = SharedMemory::from_id(id).unwrap();
    assert_eq!(again.stat().unwrap().size, 10);
    again.remove().unwrap();
    drop((r, w));
    assert_eq!(
        SharedMemory::builder(key, 0).open().unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn volatile_copies_at_every_alignment_match_the_bytes() {
    let seg = SharedMemory::builder(Key::PRIVATE, 100)
        .create_new()
        .unwrap();
    let a = seg.attach().unwrap();
    for off in 0..9 {
        for len in [0, 1, 7, 8, 9, 17, 31, 64] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + off + 1) as u8).collect();
            a.write(off, &data).unwrap();
            assert_eq!(
                &a.to_vec()[off..off + len],
                &data[..],
                "write at {off}, {len} bytes"
            );
            let mut back = vec![0u8; len];
            a.read(off, &mut back).unwrap();
            assert_eq!(back, data, "read at {off}, {len} bytes");
        }
    }
}
