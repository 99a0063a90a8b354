//! Listing POSIX objects: what the listing shows matches what processes did to the objects.

mod common;

use std::path::PathBuf;

use common::{say, Peer};
use ipckit::inspect::posix;
use ipckit::posix::mq::MessageQueue;
use ipckit::posix::sem::Semaphore;
use ipckit::posix::shm::SharedMemory;
use ipckit::ErrorKind;

fn pname(tag: &str) -> String {
    format!("/{}", common::unique_name(tag))
}

/// Unmounts (lazily) and removes a temporary mount point when dropped.
struct MountDir(PathBuf);
impl Drop for MountDir {
    fn drop(&mut self) {
        let _ = nix::mount::umount2(&self.0, nix::mount::MntFlags::MNT_DETACH);
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    common::run_peer(|role, args| match role {
        "post" => Semaphore::builder(&args[0]).open().unwrap().post().unwrap(),
        // mqns QUEUE DIR: in a private mount namespace, check the not-mounted state, mount the
        // mqueue filesystem at DIR, and report what the listing says about QUEUE.
        "mqns" => {
            use nix::mount::{mount, umount2, MntFlags, MsFlags};
            if let Err(e) = nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS) {
                say(format!("skip unshare: {e}"));
                return;
            }
            mount(
                None::<&str>,
                "/",
                None::<&str>,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None::<&str>,
            )
            .unwrap();
            // Whatever the host has, this namespace starts with no mqueue mount.
            while let Some(dir) = posix::mqueue_mount() {
                umount2(&dir, MntFlags::MNT_DETACH).unwrap();
            }
            let e = posix::list_mq().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::NotFound);
            assert!(
                e.to_string().contains("mount -t mqueue none /dev/mqueue"),
                "{e}"
            );
            let dir = PathBuf::from(&args[1]);
            posix::mount_mqueue(&dir).unwrap();
            assert_eq!(posix::mqueue_mount(), Some(dir.clone()));
            assert_eq!(
                posix::mount_mqueue(&dir).unwrap_err().kind(),
                ErrorKind::AlreadyExists
            );
            let q = posix::list_mq()
                .unwrap()
                .into_iter()
                .find(|q| q.common.name == args[0]);
            let q = q.expect("the queue is listed");
            say(format!(
                "msgs {:?} used {} max {:?} size {:?} perms {:o} notify {:?}",
                q.msgs, q.used_bytes, q.maxmsg, q.msgsize, q.common.perms, q.notify_pid
            ));
            umount2(&dir, MntFlags::MNT_DETACH).unwrap();
        }
        other => panic!("unknown peer role {other}"),
    });
}

#[test]
fn shared_memory_and_semaphores_are_listed_with_slash_names_and_values() {
    let shm = SharedMemory::builder(&pname("ls-shm"))
        .size(4000)
        .mode(0o640)
        .create_new()
        .unwrap();
    let sem = Semaphore::builder(&pname("ls-sem"))
        .value(2)
        .create_new()
        .unwrap();
    Peer::spawn("post", &[sem.name()]).wait_lines();

    let shms = posix::list_shm().unwrap();
    let s = shms
        .iter()
        .find(|s| s.common.name == shm.name())
        .expect("shm listed");
    assert_eq!(s.size, 4000);
    assert_eq!(s.common.perms, 0o640 & !current_umask());
    assert_eq!(s.common.uid, nix::unistd::geteuid().as_raw());
    assert!(
        !shms.iter().any(|s| s.common.name.starts_with("/sem.")),
        "semaphores are not shm"
    );

    let sems = posix::list_sem().unwrap();
    let s = sems
        .iter()
        .find(|s| s.common.name == sem.name())
        .expect("sem listed");
    assert_eq!(s.value, Some(3));
    assert_eq!(s.common.perms, 0o600);

    let (shm_name, sem_name) = (shm.name().to_string(), sem.name().to_string());
    drop((shm, sem));
    assert!(!posix::list_shm()
        .unwrap()
        .iter()
        .any(|s| s.common.name == shm_name));
    assert!(!posix::list_sem()
        .unwrap()
        .iter()
        .any(|s| s.common.name == sem_name));
}

fn current_umask() -> u32 {
    // Read it from /proc rather than calling umask(2), which would race with other tests.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

#[test]
fn message_queues_are_listed_through_a_mount_made_in_a_private_namespace() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: mounting the mqueue filesystem needs root");
        return;
    }
    let q = MessageQueue::builder(&pname("ls-mq"))
        .maxmsg(5)
        .msgsize(100)
        .create_new()
        .unwrap();
    q.send(&[1; 10], 1).unwrap();
    q.send(&[2; 20], 2).unwrap();
    q.notify_callback(|| {}).unwrap();
    let dir = common::unique_path("mqueue-mnt");
    let _guard = MountDir(dir.clone());
    let lines = Peer::spawn("mqns", &[q.name(), dir.to_str().unwrap()]).wait_lines();
    if lines.first().is_some_and(|l| l.starts_with("skip")) {
        eprintln!("skipped: {lines:?}");
        return;
    }
    // QSIZE counts at least the payload bytes (30).
    let line = &lines[0];
    assert!(line.starts_with("msgs Some(2) used "), "{line}");
    let used: u64 = line.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!(used >= 30, "{line}");
    assert!(
        line.ends_with(&format!(
            "max Some(5) size Some(100) perms 600 notify Some({})",
            std::process::id()
        )),
        "{line}"
    );
    // The host's mount table is untouched.
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    assert!(!mounts.contains(dir.to_str().unwrap()));
}
