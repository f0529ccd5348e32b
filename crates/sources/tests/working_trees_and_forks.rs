//! A developer's working tree used as it is, and a fork at a ref resolved to a commit.

mod common;

use common::{read, world};
use sources::progress::Silent;
use sources::source::{Origin, SourceError, SourceRequest};
use test_fixtures::Kind;

#[test]
fn a_working_tree_is_used_as_it_is_and_its_changes_are_seen() {
    let w = world();
    let request = SourceRequest::WorkingTree {
        pin: w.pin.clone(),
        path: w.repo.path.clone(),
    };
    let clean = w.cache().prepare(&request, &Silent).unwrap();
    assert_eq!(clean.dir, w.repo.path);
    assert_eq!(clean.commit.as_str(), w.repo.head);
    assert!(!clean.dirty);
    assert!(matches!(clean.origin, Origin::WorkingTree { .. }));

    w.repo
        .write("main.go", "package main // one line changed\n");
    let edited = w.cache().prepare(&request, &Silent).unwrap();
    assert!(edited.dirty);
    assert_ne!(edited.content_id, clean.content_id);

    w.repo.write("extra.go", "package main\n");
    let untracked = w.cache().prepare(&request, &Silent).unwrap();
    assert_ne!(
        untracked.content_id, edited.content_id,
        "untracked files count too"
    );

    let again = w.cache().prepare(&request, &Silent).unwrap();
    assert_eq!(
        again.content_id, untracked.content_id,
        "the id is stable while nothing changes"
    );
}

#[test]
fn a_working_tree_that_is_missing_or_not_a_repository_is_named() {
    let w = world();
    let missing = SourceRequest::WorkingTree {
        pin: w.pin.clone(),
        path: w.root.join("nope"),
    };
    let err = w.cache().prepare(&missing, &Silent).unwrap_err();
    assert!(
        matches!(err, SourceError::WorkingTreeMissing { .. }),
        "{err}"
    );
    std::fs::create_dir_all(w.root.join("plain")).unwrap();
    let plain = SourceRequest::WorkingTree {
        pin: w.pin.clone(),
        path: w.root.join("plain"),
    };
    let err = w.cache().prepare(&plain, &Silent).unwrap_err();
    assert!(matches!(err, SourceError::NotAWorkingTree { .. }), "{err}");
    assert!(err.to_string().contains("runc"), "{err}");
}

#[test]
fn a_working_tree_that_is_a_bare_repository_is_named_as_one() {
    let w = world();
    // A bare clone, and one without a config (as the mirrors of a fetch are), which git
    // otherwise takes for the `.git` of its parent folder.
    for (name, keep_config) in [("bare.git", true), ("mirror/repo", false)] {
        let path = w.root.join(name);
        git2::Repository::init_bare(&path).unwrap();
        if !keep_config {
            std::fs::remove_file(path.join("config")).unwrap();
        }
        let bare = SourceRequest::WorkingTree {
            pin: w.pin.clone(),
            path: path.clone(),
        };
        let err = w.cache().prepare(&bare, &Silent).unwrap_err();
        assert!(
            matches!(err, SourceError::NotAWorkingTree { .. })
                && err
                    .to_string()
                    .contains("is a git directory (a bare repository"),
            "{name}: {err}"
        );
    }
}

#[test]
fn a_fork_at_a_branch_is_resolved_to_a_commit_and_built_like_a_pin() {
    let w = world();
    // A fork with a branch one commit ahead of the mirror's HEAD.
    let mut fork = Kind::Runc.create(&w.root.join("fork"));
    let repo = git2::Repository::open(&fork.path).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    repo.branch("fix-seccomp", &head, false).unwrap();
    repo.set_head("refs/heads/fix-seccomp").unwrap();
    fork.write("VERSION", "1.4.3-fix\n");
    let fixed = fork.commit("fix");
    let request = SourceRequest::Fork {
        url: format!("file://{}", fork.path),
        reference: Some("fix-seccomp".into()),
        pin: w.pin.clone(),
    };
    let source = w.cache().prepare(&request, &Silent).unwrap();
    assert_eq!(source.commit.as_str(), fixed);
    assert!(!source.dirty);
    assert_eq!(read(&source.dir.join("VERSION")), "1.4.3-fix\n");
    assert!(
        matches!(&source.origin, Origin::Remote { url } if url.ends_with("@fix-seccomp")),
        "{:?}",
        source.origin
    );

    // Offline, the ref resolves from the cache.
    let again = w.cache().offline(true).prepare(&request, &Silent).unwrap();
    assert_eq!(again.commit.as_str(), fixed);
}

#[test]
fn refs_that_could_inject_into_a_refspec_are_refused() {
    let w = world();
    for bad in ["a:b", "-x", "+main", "main..x", "a b", "*"] {
        let request = SourceRequest::Fork {
            url: format!("file://{}", w.repo.path),
            reference: Some(bad.into()),
            pin: w.pin.clone(),
        };
        assert!(
            w.cache().prepare(&request, &Silent).is_err(),
            "{bad:?} accepted"
        );
    }
}

#[test]
fn git_url_insteadof_config_redirects_a_pin_and_the_commit_is_still_verified() {
    let w = world();
    let cache = w.cache();
    // git's own redirection, here in the cache repository's config (usually ~/.gitconfig).
    let repo =
        git2::Repository::init_bare(cache.repository_dir(w.pin.repository.as_str())).unwrap();
    repo.config()
        .unwrap()
        .set_str(
            &format!("url.file://{}.insteadOf", w.repo.path),
            w.pin.repository.as_str(),
        )
        .unwrap();
    let source = cache
        .prepare(&SourceRequest::pinned(w.pin.clone()), &Silent)
        .unwrap();
    assert_eq!(source.commit, w.pin.commit);
    assert_eq!(read(&source.dir.join("VERSION")), "1.4.3\n");
}
