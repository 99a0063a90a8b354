//! `ipckit ls -q|-m|-s -i ID` shows its fields in the order of `lsipc -i` / `ipcs -i` (key,
//! id, owner, permissions, creator and owner ids, last change, then the kind's own), not
//! alphabetically.

use ipckit::sysv::key::Key;
use ipckit::sysv::msg::MessageQueue;
use ipckit::sysv::sem::SemaphoreSet;
use ipckit::sysv::shm::SharedMemory;
use ipckit_testkit::ok;

fn field_names(kind: &str, id: i32) -> Vec<String> {
    ok(&["ls", kind, "-i", &id.to_string()])
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect()
}

const COMMON: [&str; 11] = [
    "key", "key_hex", "id", "owner", "perms", "mode", "cuid", "cgid", "uid", "gid", "ctime",
];

#[test]
fn detail_fields_in_lsipc_order() {
    let q = MessageQueue::builder(Key::PRIVATE).create_new().unwrap();
    let seg = SharedMemory::builder(Key::PRIVATE, 4096)
        .create_new()
        .unwrap();
    let set = SemaphoreSet::builder(Key::PRIVATE, 2).create_new().unwrap();
    let with =
        |own: &[&str]| -> Vec<String> { COMMON.iter().chain(own).map(|s| s.to_string()).collect() };
    assert_eq!(
        field_names("-q", q.id()),
        with(&[
            "usedbytes",
            "qbytes",
            "msgs",
            "lspid",
            "lrpid",
            "stime",
            "rtime"
        ])
    );
    assert_eq!(
        field_names("-m", seg.id()),
        with(&[
            "size", "nattch", "status", "dest", "locked", "cpid", "lpid", "atime", "dtime", "rss",
            "swap"
        ])
    );
    assert_eq!(field_names("-s", set.id()), with(&["nsems", "otime"]));
}
