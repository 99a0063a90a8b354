//! The README works on a bare machine and for a newcomer: it links to nothing outside the
//! repository, and the one script that installs the test peers exists, is what `.ci/run`
//! calls, and is named in "Development".

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn readme_links_nothing_outside_the_repository() {
    let readme = read("README.md");
    for (n, line) in readme.lines().enumerate() {
        assert!(
            !line.contains("http://") && !line.contains("https://"),
            "README.md:{}: a web link: {line}",
            n + 1
        );
        // Markdown links: relative to the README and inside the repository.
        for (i, _) in line.match_indices("](") {
            let target = &line[i + 2..line[i..].find(')').map_or(line.len(), |j| i + j)];
            assert!(
                !target.starts_with("..") && !target.starts_with('/') && !target.contains("://"),
                "README.md:{}: a link outside the repository: {target}",
                n + 1
            );
            let path = target.split('#').next().unwrap_or_default();
            assert!(
                path.is_empty() || repo().join(path).exists(),
                "README.md:{}: {path} does not exist",
                n + 1
            );
        }
    }
}

#[test]
fn one_script_installs_the_test_peers_and_ci_and_readme_use_it() {
    let script = repo().join("scripts/install-test-peers");
    let meta = std::fs::metadata(&script).expect("scripts/install-test-peers");
    use std::os::unix::fs::PermissionsExt as _;
    assert!(meta.permissions().mode() & 0o111 != 0, "not executable");
    let text = read("scripts/install-test-peers");
    for peer in [
        "socat",
        "procps",
        "util-linux",
        "sysv_ipc",
        "posix_ipc",
        "msgpack",
        "librsvg2-bin",
        "wrk",
        "curl",
        "nginx",
    ] {
        assert!(
            text.contains(peer),
            "install-test-peers does not install {peer}"
        );
    }
    let ci = read(".ci/run");
    assert!(
        ci.lines().any(|l| l.trim() == "scripts/install-test-peers"),
        ".ci/run does not call scripts/install-test-peers"
    );
    assert!(
        !ci.contains("apt-get install"),
        ".ci/run installs peers itself"
    );
    let readme = read("README.md");
    let dev = &readme[readme
        .find("## Development")
        .expect("a Development section")..];
    assert!(
        dev.contains("scripts/install-test-peers"),
        "Development does not name it"
    );
}
