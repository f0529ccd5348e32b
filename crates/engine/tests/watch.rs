//! Watching working trees: a save is a change of its tree's upstream; reading files (what a
//! build does), git's own files and editors' swap files are not.

use std::time::Duration;

use build_core::Upstream;
use camino::Utf8PathBuf;
use engine::TreeWatcher;

fn trees() -> (tempfile::TempDir, Utf8PathBuf, Utf8PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
    let (moby, runc) = (root.join("moby"), root.join("runc"));
    for tree in [&moby, &runc] {
        std::fs::create_dir_all(tree.join(".git")).unwrap();
        std::fs::create_dir_all(tree.join("daemon")).unwrap();
        std::fs::write(tree.join("daemon/daemon.go"), "package daemon\n").unwrap();
    }
    (dir, moby, runc)
}

fn watcher(moby: &Utf8PathBuf, runc: &Utf8PathBuf) -> TreeWatcher {
    TreeWatcher::new(
        vec![
            (Upstream::Moby, moby.clone()),
            (Upstream::Runc, runc.clone()),
        ],
        Duration::from_millis(200),
    )
    .unwrap()
}

const QUIET: Duration = Duration::from_millis(600);

#[test]
fn a_save_is_a_change_of_its_own_tree_only() {
    let (_dir, moby, runc) = trees();
    let watcher = watcher(&moby, &runc);
    std::fs::write(moby.join("daemon/daemon.go"), "package daemon // edited\n").unwrap();
    assert_eq!(
        watcher.next_change(Duration::from_secs(5)).unwrap(),
        Some(vec![Upstream::Moby])
    );
    assert_eq!(
        watcher.next_change(QUIET).unwrap(),
        None,
        "one save, one change"
    );
}

#[test]
fn a_burst_of_writes_in_both_trees_is_one_change() {
    let (_dir, moby, runc) = trees();
    let watcher = watcher(&moby, &runc);
    // Back to back, as a `git checkout` writes: each write's event is queued as the write
    // returns, so nothing here waits, and no pause under load can split the burst.
    for i in 0..5 {
        std::fs::write(moby.join(format!("daemon/new{i}.go")), "package daemon\n").unwrap();
        std::fs::write(
            runc.join("daemon/daemon.go"),
            format!("package daemon // {i}\n"),
        )
        .unwrap();
    }
    let mut changed = watcher
        .next_change(Duration::from_secs(5))
        .unwrap()
        .unwrap();
    changed.sort();
    let mut both = vec![Upstream::Moby, Upstream::Runc];
    both.sort();
    assert_eq!(changed, both);
    assert_eq!(watcher.next_change(QUIET).unwrap(), None);
}

#[test]
fn reads_git_internals_and_editor_files_are_no_change() {
    let (_dir, moby, runc) = trees();
    let watcher = watcher(&moby, &runc);
    // What a build does: open and read every file.
    for _ in 0..3 {
        std::fs::read(moby.join("daemon/daemon.go")).unwrap();
    }
    std::fs::write(moby.join(".git/index"), "index").unwrap();
    std::fs::write(moby.join("daemon/.daemon.go.swp"), "vim").unwrap();
    std::fs::write(moby.join("daemon/daemon.go~"), "backup").unwrap();
    assert_eq!(watcher.next_change(QUIET).unwrap(), None);

    // And a real save afterwards is still seen.
    std::fs::write(moby.join("daemon/daemon.go"), "package daemon // saved\n").unwrap();
    assert_eq!(
        watcher.next_change(Duration::from_secs(5)).unwrap(),
        Some(vec![Upstream::Moby])
    );
}
