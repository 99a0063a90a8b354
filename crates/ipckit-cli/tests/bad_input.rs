//! The bad-input suite (issue 10): malformed addresses, numbers, sizes, keys, signal names
//! and modes given to `ls`, `mk`, `rm`, `dump`, `limits` and `signal`, through the built
//! binary. Each case asserts the exit status (2 for a usage error clap refuses, 1 for one the
//! command or the kernel refuses), that nothing panicked and nothing went to stdout, and that
//! stderr names the object and, where a syscall failed, the errno's name.
//!
//! Every case is its own test (the `bad!` table below), so a failure names its case. None of
//! them creates an object: each is refused before, or is about an object that does not exist.
//! `send`/`recv` cases: malformed addresses and numbers here; the lifecycle cases (truncated
//! messages, kept queues, idle and bad peers, signals, timeouts) are in `recv_lifecycle.rs`.

use ipckit_testkit::{ipckit, stderr, stdout};

/// A POSIX name no test creates.
const NOSUCH: &str = "/ipckit-bad-input-no-such-object";

/// Runs `ipckit ARGS`; asserts exit status `code`, no panic, empty stdout, and that stderr
/// contains every one of `needles`.
fn check(args: &[&str], code: i32, needles: &[&str]) {
    let out = ipckit(args);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "ipckit {args:?}: status {:?}, stderr: {err}",
        out.status
    );
    assert!(!err.contains("panicked"), "ipckit {args:?} panicked: {err}");
    assert!(
        stdout(&out).is_empty(),
        "ipckit {args:?} printed: {}",
        stdout(&out)
    );
    for n in needles {
        assert!(
            err.contains(n),
            "ipckit {args:?}: {n:?} not in stderr: {err}"
        );
    }
}

/// `name: [args...] => exit status, [what stderr must contain...];`, one test each.
macro_rules! bad {
    ($($name:ident: [$($arg:expr),* $(,)?] => $code:expr, [$($needle:expr),* $(,)?];)*) => {
        $(
            #[test]
            fn $name() {
                check(&[$($arg),*], $code, &[$($needle),*]);
            }
        )*
    };
}

bad! {
    // send / recv
    send_unknown_scheme: ["send", "bogus:x", "hi"] => 2, ["bogus:x", "unknown scheme"];
    send_empty_unix_path: ["send", "unix:", "hi"] => 2, ["unix:", "the path is empty"];
    send_tcp_without_port: ["send", "tcp:localhost", "hi"] => 2, ["tcp:localhost", "HOST:PORT"];
    send_tcp_unclosed_bracket: ["send", "tcp:[::1", "hi"] => 2, ["tcp:[::1", "`]`"];
    send_sysv_bad_key: ["send", "sysv-mq:0xZZ", "hi"] => 2, ["sysv-mq:0xZZ", "0x-hex"];
    send_posix_name_without_slash: ["send", "posix-mq:noslash", "hi"] => 2,
        ["posix-mq:noslash", "'/'"];
    send_abstract_bad_escape: ["send", "unix:@a\\q", "hi"] => 2, ["escape"];
    send_no_such_fifo: ["send", "fifo:/no/such/fifo", "hi"] => 1, ["/no/such/fifo", "ENOENT"];
    send_no_such_socket: ["send", "unix:/no/such/sock", "hi"] => 1,
        ["unix:/no/such/sock", "ENOENT"];
    send_nobody_on_ring: ["send", "shm-ring:@ipckit-bad-input-nobody", "hi"] => 1,
        ["shm-ring:@ipckit-bad-input-nobody", "ECONNREFUSED"];
    send_timeout_not_a_number: ["send", "--timeout", "soon", "unix:@x", "hi"] => 2,
        ["soon", "seconds"];
    recv_count_not_a_number: ["recv", "shm-ring:@x", "--count", "abc"] => 2, ["'abc'", "--count"];
    recv_type_not_a_number: ["recv", "sysv-mq:1", "--type", "abc"] => 2, ["'abc'", "--type"];
    recv_bind_in_missing_dir: ["recv", "unix:/no/such/dir/sock", "--count", "1"] => 1,
        ["unix:/no/such/dir/sock", "ENOENT", "/no/such/dir"];

    // ls
    ls_id_not_a_number: ["ls", "-q", "-i", "abc"] => 2, ["'abc'", "--id"];
    ls_id_without_kind: ["ls", "-i", "5"] => 1, ["-i", "-q, -m, -s"];
    ls_no_such_segment_id: ["ls", "-m", "-i", "999999999"] => 1, ["999999999", "segment"];
    ls_unknown_flag: ["ls", "--bogus"] => 2, ["--bogus"];
    ls_targets_without_stale: ["ls", "/tmp"] => 2, ["--stale"];
    ls_stale_no_such_dir: ["ls", "--stale", "/no/such/dir"] => 1, ["/no/such/dir", "ENOENT"];

    // mk
    mk_size_not_a_number: ["mk", "-M", "abc"] => 2, ["'abc'", "--shmem", "size"];
    mk_size_bad_suffix: ["mk", "--posix-shm", NOSUCH, "--size", "1Z"] => 2, ["'1Z'", "--size"];
    mk_size_overflows: ["mk", "-M", "99999999999999999999"] => 2, ["99999999999999999999"];
    mk_size_zero: ["mk", "-M", "0"] => 1, ["shmget", "at least 1 byte"];
    mk_key_bad_hex: ["mk", "-Q", "-k", "0xZZ"] => 2, ["0xZZ", "--key"];
    mk_key_too_wide: ["mk", "-Q", "-k", "99999999999"] => 2, ["99999999999", "32-bit"];
    mk_key_ftok_missing_file: ["mk", "-Q", "-k", "ftok:/no/such:1"] => 2, ["/no/such", "ENOENT"];
    mk_ftok_flag_missing_file: ["mk", "-Q", "--ftok", "/no/such:1"] => 1, ["/no/such", "ENOENT"];
    mk_ftok_flag_no_id: ["mk", "-Q", "--ftok", "nocolon"] => 1, ["nocolon", "ftok:PATH:ID"];
    mk_mode_not_octal: ["mk", "-Q", "-p", "0999"] => 2, ["0999", "octal"];
    mk_semaphore_value_too_large: ["mk", "-S", "5", "--value", "99999"] => 1, ["--value", "32767"];
    mk_semaphore_set_empty: ["mk", "-S", "0"] => 1, ["semget", "at least one semaphore"];
    mk_posix_name_without_slash: ["mk", "--posix-shm", "noslash", "--size", "10"] => 1,
        ["noslash", "'/'"];
    mk_posix_name_with_inner_slash: ["mk", "--posix-shm", "/a/b", "--size", "10"] => 1, ["/a/b"];
    mk_posix_name_empty: ["mk", "--posix-mq", ""] => 1, ["mq_open", "empty"];
    mk_posix_queue_zero_maxmsg: ["mk", "--posix-mq", NOSUCH, "--maxmsg", "0"] => 1,
        [NOSUCH, "maxmsg"];
    mk_nothing_to_make: ["mk"] => 2, ["required"];

    // rm
    rm_no_such_queue_id: ["rm", "-q", "999999999"] => 1, ["999999999", "EINVAL"];
    rm_no_such_queue_key: ["rm", "-Q", "0x7ffe1234"] => 1, ["0x7ffe1234", "ENOENT"];
    rm_no_such_posix_shm: ["rm", "--posix-shm", NOSUCH] => 1, [NOSUCH, "ENOENT"];
    rm_no_such_posix_mq: ["rm", "--posix-mq", NOSUCH] => 1, [NOSUCH, "ENOENT"];
    rm_no_such_posix_sem: ["rm", "--posix-sem", NOSUCH] => 1, [NOSUCH, "ENOENT"];
    rm_id_out_of_range: ["rm", "-s", "2147483648"] => 2, ["2147483648", "--semaphore-id"];
    rm_id_not_a_number: ["rm", "-m", "abc"] => 2, ["'abc'", "--shmem-id"];
    rm_all_bad_kind: ["rm", "--all=x"] => 2, ["'x'", "--all"];
    rm_key_bad_ftok_id: ["rm", "-Q", "ftok:/etc/passwd:abc"] => 2, ["ftok:/etc/passwd:abc"];
    rm_stale_neither_dir_nor_key: ["rm", "--stale", "not-a-key"] => 1, ["not-a-key", "ENOENT"];
    rm_nothing_to_remove: ["rm"] => 2, ["required"];

    // dump
    dump_no_such_id: ["dump", "-m", "999999999"] => 1, ["999999999", "EINVAL"];
    dump_no_such_key: ["dump", "-k", "0x7ffe1235"] => 1, ["0x7ffe1235", "ENOENT"];
    dump_private_key: ["dump", "-k", "0"] => 1, ["IPC_PRIVATE"];
    dump_no_such_posix_shm: ["dump", "--posix-shm", NOSUCH] => 1, [NOSUCH, "ENOENT"];
    dump_posix_name_without_slash: ["dump", "--posix-shm", "noslash"] => 1, ["noslash"];
    dump_negative_offset: ["dump", "-m", "1", "--offset", "-5"] => 2, ["-5"];
    dump_bad_len: ["dump", "--posix-shm", NOSUCH, "--len", "1Q"] => 2, ["'1Q'", "--len"];
    dump_two_segments: ["dump", "-m", "1", "--posix-shm", NOSUCH] => 2, ["cannot be used with"];
    dump_no_segment: ["dump"] => 2, ["required"];

    // limits
    limits_unknown_flag: ["limits", "--bogus"] => 2, ["--bogus"];
    limits_extra_argument: ["limits", "extra"] => 2, ["'extra'"];

    // signal
    signal_unknown_name: ["signal", "send", "999999999", "NOSUCH"] => 1, ["NOSUCH", "unknown signal"];
    signal_realtime_out_of_range: ["signal", "send", "999999999", "RTMIN+99"] => 1, ["RTMIN+99", "RTMAX"];
    signal_pid_not_a_number: ["signal", "send", "abc", "TERM"] => 2, ["'abc'", "PID"];
    signal_no_such_process: ["signal", "send", "999999999", "TERM"] => 1, ["999999999", "ESRCH"];
    signal_value_not_a_number: ["signal", "send", "999999999", "TERM", "--value", "x"] => 2,
        ["'x'", "--value"];
    signal_wait_unknown_name: ["signal", "wait", "NOPE"] => 1, ["NOPE"];

    // the command line itself
    unknown_verb: ["nosuchverb"] => 2, ["nosuchverb"];
}

/// The failing cases above create nothing: no object with their names exists afterwards.
#[test]
fn bad_input_leaves_no_object() {
    // (Signal cases name pid 999999999, above pid_max: were a bad name ever accepted, no
    // process would get it.)
    for n in ["noslash", &NOSUCH[1..]] {
        assert!(!std::path::Path::new("/dev/shm").join(n).exists(), "{n}");
    }
}
