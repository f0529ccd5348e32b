//! Pinned sources: exactly the pinned commit, from a mirror, a URL or the cache.

mod common;

use std::sync::Arc;

use camino::Utf8PathBuf;
use common::{read, world};
use sources::Upstream;
use sources::lock::FileLock;
use sources::pins::CommitId;
use sources::progress::{Recorded, Silent};
use sources::source::{Mirror, Origin, READY_MARKER, SourceError, SourceRequest};
use test_fixtures::Kind;

#[test]
fn a_path_mirror_gives_exactly_the_pinned_commit_without_git_metadata() {
    let w = world();
    let source = w.cache().prepare(&w.pinned_via_mirror(), &Silent).unwrap();
    assert_eq!(source.commit, w.pin.commit);
    assert_eq!(
        source.origin,
        Origin::Mirror {
            path: w.repo.path.to_string()
        }
    );
    assert_eq!(
        read(&source.dir.join("VERSION")),
        "1.4.3\n",
        "the pinned commit, not the mirror's HEAD"
    );
    assert!(!source.dir.join(".git").exists());
    assert!(source.dir.join(READY_MARKER).is_file());
    assert_eq!(source.commit_time, test_fixtures::COMMIT_TIME);
    assert!(!source.dirty);

    let again = w.cache().prepare(&w.pinned_via_mirror(), &Silent).unwrap();
    assert_eq!(again.origin, Origin::Cache, "a verified checkout is reused");
    assert_eq!(again.dir, source.dir);
}

#[test]
fn a_mirror_without_the_commit_is_named_and_nothing_is_checked_out() {
    let w = world();
    let mut pin = w.pin.clone();
    pin.commit = CommitId::parse("0123456789abcdef0123456789abcdef01234567").unwrap();
    let request = SourceRequest::Pinned {
        pin: pin.clone(),
        mirror: Some(Mirror::Path(w.repo.path.clone())),
    };
    let cache = w.cache();
    let err = cache.prepare(&request, &Silent).unwrap_err();
    assert!(
        matches!(err, SourceError::MirrorLacksCommit { .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("0123456789abcdef0123456789abcdef01234567")
            && message.contains(w.repo.path.as_str()),
        "{message}"
    );
    assert!(!cache.checkout_dir(Upstream::Runc, &pin.commit).exists());
    assert!(
        cache
            .repository_dir(pin.repository.as_str())
            .join("objects")
            .is_dir(),
        "the cache is kept"
    );
}

#[test]
fn a_mirror_of_another_project_cannot_supply_the_pin() {
    let w = world();
    let other = Kind::Tini.create(&w.root.join("other"));
    let request = SourceRequest::Pinned {
        pin: w.pin.clone(),
        mirror: Some(Mirror::Path(other.path.clone())),
    };
    let err = w.cache().prepare(&request, &Silent).unwrap_err();
    assert!(
        matches!(err, SourceError::MirrorLacksCommit { .. }),
        "{err}"
    );
}

#[test]
fn a_mirror_that_is_not_a_repository_is_named() {
    let w = world();
    let request = SourceRequest::Pinned {
        pin: w.pin.clone(),
        mirror: Some(Mirror::Path(w.root.clone())),
    };
    let err = w.cache().prepare(&request, &Silent).unwrap_err();
    assert!(
        matches!(err, SourceError::MirrorNotARepository { .. }),
        "{err}"
    );
}

#[test]
fn a_url_mirror_is_fetched_into_the_cache_which_then_serves_offline() {
    let w = world();
    let url = format!("file://{}", w.repo.path);
    let request = SourceRequest::Pinned {
        pin: w.pin.clone(),
        mirror: Some(Mirror::Url(url.clone())),
    };
    let source = w.cache().prepare(&request, &Silent).unwrap();
    assert_eq!(source.origin, Origin::Remote { url });
    assert_eq!(read(&source.dir.join("VERSION")), "1.4.3\n");

    // Without the checkout and without any mirror, offline: the cached repository has it.
    std::fs::remove_dir_all(&source.dir).unwrap();
    let offline = w.cache().offline(true);
    let again = offline
        .prepare(&SourceRequest::pinned(w.pin.clone()), &Silent)
        .unwrap();
    assert_eq!(again.origin, Origin::Cache);
    assert_eq!(read(&again.dir.join("VERSION")), "1.4.3\n");
}

#[test]
fn offline_with_a_cold_cache_fails_fast_naming_the_commit() {
    let w = world();
    let err = w
        .cache()
        .offline(true)
        .prepare(&SourceRequest::pinned(w.pin.clone()), &Silent)
        .unwrap_err();
    assert!(matches!(err, SourceError::NotCachedOffline { .. }), "{err}");
    assert!(err.to_string().contains(w.pin.commit.as_str()), "{err}");
}

#[test]
fn an_interrupted_checkout_is_repaired_not_trusted() {
    let w = world();
    let cache = w.cache();
    let dir = cache.checkout_dir(Upstream::Runc, &w.pin.commit);
    // What a run killed mid-checkout leaves: a half-written folder and a temp folder.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("VERSION"), "1.4").unwrap();
    let stale = cache
        .root()
        .join("checkouts")
        .join(format!(".tmp-runc-{}-abc", w.pin.commit));
    std::fs::create_dir_all(&stale).unwrap();

    let progress = Recorded::default();
    let source = cache.prepare(&w.pinned_via_mirror(), &progress).unwrap();
    assert_eq!(read(&source.dir.join("VERSION")), "1.4.3\n");
    assert!(
        progress.lines().iter().any(|(verb, _)| verb == "Repairing"),
        "{:?}",
        progress.lines()
    );
    assert!(!stale.exists(), "stale temp folders are removed");
}

#[test]
fn a_checkout_edited_by_hand_is_detected_and_replaced() {
    let w = world();
    let source = w.cache().prepare(&w.pinned_via_mirror(), &Silent).unwrap();
    std::fs::write(source.dir.join("main.go"), "package main // edited\n").unwrap();
    let progress = Recorded::default();
    let again = w
        .cache()
        .prepare(&w.pinned_via_mirror(), &progress)
        .unwrap();
    assert!(
        read(&again.dir.join("main.go")).contains("fixture_answer"),
        "the pinned content is back"
    );
    assert!(progress.lines().iter().any(|(verb, _)| verb == "Repairing"));
}

#[test]
fn a_same_size_edit_with_its_mtime_put_back_is_detected_too() {
    let w = world();
    let source = w.cache().prepare(&w.pinned_via_mirror(), &Silent).unwrap();
    let file = source.dir.join("main.go");
    let text = read(&file);
    let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
    // One byte changed, the size kept, the modification time put back as it was.
    let edited = text.replacen("fixture_answer", "fixture_answeR", 1);
    assert_eq!(edited.len(), text.len());
    std::fs::write(&file, &edited).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let progress = Recorded::default();
    let again = w
        .cache()
        .prepare(&w.pinned_via_mirror(), &progress)
        .unwrap();
    assert_eq!(
        read(&again.dir.join("main.go")),
        text,
        "the pinned content is back"
    );
    assert!(progress.lines().iter().any(|(verb, _)| verb == "Repairing"));
}

#[test]
fn a_forged_ready_marker_for_another_commit_is_not_trusted() {
    let w = world();
    let source = w.cache().prepare(&w.pinned_via_mirror(), &Silent).unwrap();
    let marker = source.dir.join(READY_MARKER);
    let text = read(&marker).replace(w.pin.commit.as_str(), &"0".repeat(40));
    std::fs::write(&marker, text).unwrap();
    let progress = Recorded::default();
    w.cache()
        .prepare(&w.pinned_via_mirror(), &progress)
        .unwrap();
    assert!(progress.lines().iter().any(|(verb, _)| verb == "Repairing"));
}

#[test]
fn a_second_run_waits_for_the_lock_and_says_so() {
    let w = world();
    let cache = w.cache();
    let lock_path = cache
        .root()
        .join("locks")
        .join(format!("runc-{}.lock", w.pin.commit));
    let held = FileLock::acquire(&lock_path, "test", &Silent).unwrap();
    let progress = Arc::new(Recorded::default());
    let waiter = {
        let (cache, request, progress) = (cache.clone(), w.pinned_via_mirror(), progress.clone());
        std::thread::spawn(move || cache.prepare(&request, progress.as_ref()))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !progress.lines().iter().any(|(verb, _)| verb == "Waiting") {
        assert!(
            std::time::Instant::now() < deadline,
            "the second run never said it waits"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(held);
    let source = waiter.join().unwrap().unwrap();
    assert_eq!(read(&source.dir.join("VERSION")), "1.4.3\n");
}

#[test]
fn concurrent_runs_share_the_cache_safely() {
    let w = world();
    let results: Vec<_> = (0..4)
        .map(|_| {
            let (cache, request) = (w.cache(), w.pinned_via_mirror());
            std::thread::spawn(move || cache.prepare(&request, &Silent))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap().unwrap())
        .collect();
    assert!(results.iter().all(|s| s.dir == results[0].dir));
    assert_eq!(read(&results[0].dir.join("VERSION")), "1.4.3\n");
}

#[test]
fn credentials_in_a_mirror_url_are_refused_without_being_echoed() {
    let err = Mirror::parse("https://user:hunter2@127.0.0.1:9/runc.git").unwrap_err();
    let message = format!("{err} {err:?}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(
        message.contains("credentials") && message.contains("127.0.0.1"),
        "{message}"
    );
}

#[test]
fn a_failed_fetch_is_retried_a_bounded_number_of_times_and_named() {
    let w = world();
    // Port 9 on loopback: refused at once, so no network is touched.
    let request = SourceRequest::Pinned {
        pin: w.pin.clone(),
        mirror: Some(Mirror::parse("https://127.0.0.1:9/runc.git").unwrap()),
    };
    let progress = Recorded::default();
    let err = w
        .cache()
        .fetch_attempts(2)
        .prepare(&request, &progress)
        .unwrap_err();
    assert!(
        matches!(err, SourceError::Fetch { attempts: 2, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("runc") && err.to_string().contains(w.pin.commit.as_str()),
        "{err}"
    );
    assert_eq!(
        progress
            .lines()
            .iter()
            .filter(|(verb, _)| verb == "Retrying")
            .count(),
        1
    );
    // A later run with a good mirror succeeds without cleanup.
    let source = w.cache().prepare(&w.pinned_via_mirror(), &Silent).unwrap();
    assert_eq!(read(&source.dir.join("VERSION")), "1.4.3\n");
}

#[test]
fn mirror_values_that_could_be_options_or_transports_are_refused() {
    for bad in [
        "-oProxyCommand=x",
        "ext::sh -c x",
        "fd::3",
        "",
        "ssh://-oProxyCommand=x/y",
    ] {
        assert!(Mirror::parse(bad).is_err(), "{bad:?} accepted");
    }
    assert!(matches!(
        Mirror::parse("/srv/runc").unwrap(),
        Mirror::Path(_)
    ));
    assert!(matches!(
        Mirror::parse("file:///srv/runc").unwrap(),
        Mirror::Url(_)
    ));
}

#[test]
fn a_fetch_cut_part_way_is_retried_a_bounded_number_of_times_then_named() {
    use std::io::Write;
    let w = world();
    // A loopback server that answers a few bytes and hangs up, however often it is asked.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut served = 0;
        listener.set_nonblocking(true).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    served += 1;
                    let _ = stream.write_all(b"\x16\x03\x01\x00\x10partial");
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
            if served == 3 {
                break;
            }
        }
        served
    });
    let request = SourceRequest::Pinned {
        pin: w.pin.clone(),
        mirror: Some(Mirror::parse(&format!("https://127.0.0.1:{port}/runc.git")).unwrap()),
    };
    let err = w
        .cache()
        .fetch_attempts(3)
        .prepare(&request, &Silent)
        .unwrap_err();
    assert!(
        matches!(err, SourceError::Fetch { attempts: 3, .. }),
        "{err}"
    );
    assert_eq!(
        server.join().unwrap(),
        3,
        "one connection per attempt, no more"
    );
    let checkout = w.cache().checkout_dir(Upstream::Runc, &w.pin.commit);
    assert!(!checkout.exists(), "nothing half-written");
    // The next run (here from a mirror that works) succeeds without cleanup.
    let source = w.cache().prepare(&w.pinned_via_mirror(), &Silent).unwrap();
    assert_eq!(read(&source.dir.join("VERSION")), "1.4.3\n");
}

#[test]
fn a_corrupted_cache_repository_is_repaired() {
    let w = world();
    let url = format!("file://{}", w.repo.path);
    let request = SourceRequest::Pinned {
        pin: w.pin.clone(),
        mirror: Some(Mirror::Url(url)),
    };
    let cache = w.cache();
    let source = cache.prepare(&request, &Silent).unwrap();
    std::fs::remove_dir_all(&source.dir).unwrap();
    // Truncate every object file of the cached repository.
    let objects = cache
        .repository_dir(w.pin.repository.as_str())
        .join("objects");
    let mut stack = vec![objects];
    let mut truncated = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = Utf8PathBuf::from_path_buf(entry.unwrap().path()).unwrap();
            if path.is_dir() {
                stack.push(path);
            } else {
                std::fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&path)
                    .unwrap();
                truncated += 1;
            }
        }
    }
    assert!(truncated > 0);
    let progress = Recorded::default();
    let repaired = cache.prepare(&request, &progress).unwrap();
    assert_eq!(read(&repaired.dir.join("VERSION")), "1.4.3\n");
    assert_eq!(repaired.commit, w.pin.commit);
}
