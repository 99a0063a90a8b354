//! File-backed shared mappings between real processes.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{say, Peer};
use ipckit::mmap::{MappedBytes, MappedFile};
use ipckit::posix::sem::UnnamedSemaphore;
use ipckit::ErrorKind;

const LONG: Duration = Duration::from_secs(30);

/// Removes a file when dropped.
struct Remove(PathBuf);
impl Drop for Remove {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    common::run_peer(|role, args| match role {
        // answer PATH: wait for the question at 64.., write the answer after it, post.
        "answer" => {
            let map = MappedFile::builder(&args[0]).open().unwrap();
            let asked = UnnamedSemaphore::at(&map, 0).unwrap();
            let answered = UnnamedSemaphore::at(&map, 32).unwrap();
            asked.wait_timeout(LONG).unwrap();
            let mut q = [0u8; 8];
            map.read(64, &mut q).unwrap();
            say(String::from_utf8_lossy(&q));
            map.write(128, b"answer: 42").unwrap();
            map.flush().unwrap();
            answered.post().unwrap();
        }
        other => panic!("unknown peer role {other}"),
    });
}

#[test]
fn two_processes_talk_through_a_mapped_file() {
    let path = common::unique_path("mmap-talk");
    let _rm = Remove(path.clone());
    let map = MappedFile::builder(&path).len(4096).create_new().unwrap();
    let asked = UnnamedSemaphore::init(&map, 0, 0).unwrap();
    let answered = UnnamedSemaphore::init(&map, 32, 0).unwrap();
    let peer = Peer::spawn("answer", &[path.to_str().unwrap()]);
    map.write(64, b"question").unwrap();
    asked.post().unwrap();
    answered.wait_timeout(LONG).unwrap();
    let mut a = [0u8; 10];
    map.read(128, &mut a).unwrap();
    assert_eq!(&a, b"answer: 42");
    assert_eq!(peer.wait_lines(), vec!["question".to_string()]);
    // The file holds what the peer wrote.
    assert_eq!(&std::fs::read(&path).unwrap()[128..138], b"answer: 42");
}

#[test]
fn flush_writes_to_the_file_and_read_only_maps_refuse_writes() {
    let path = common::unique_path("mmap-flush");
    let _rm = Remove(path.clone());
    let map = MappedFile::builder(&path).len(100).create_new().unwrap();
    map.write(10, b"flushed").unwrap();
    map.flush().unwrap();
    map.flush_async().unwrap();
    map.flush_range(0, 20).unwrap();
    assert_eq!(
        map.flush_range(90, 20).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(&std::fs::read(&path).unwrap()[10..17], b"flushed");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 100);

    let ro = MappedFile::builder(&path).read_only().open().unwrap();
    assert_eq!(ro.len(), 100);
    assert_eq!(
        ro.write(0, b"x").unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    let e = MappedFile::builder(&path)
        .read_only()
        .len(200)
        .open()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = MappedFile::builder(&path).len(10).create_new().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    let e = MappedFile::builder(common::unique_path("nolen"))
        .create_new()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);

    // A longer length on open extends the file.
    let big = MappedFile::builder(&path).len(8192).open().unwrap();
    assert_eq!(big.len(), 8192);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 8192);
}
