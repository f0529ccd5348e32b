//! The second tier: what is fetched, what is checked, what is uploaded and when.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use camino::Utf8Path;
use common::{Requests, action, disk_bytes, files, parse, run, sha256};
use go_cache::{LocalCache, RemoteCache, RemoteEntry, RemoteError, SharedFolder, serve};
use serde_json::json;

struct Tiers {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    shared: SharedFolder,
}

impl Tiers {
    fn new() -> Tiers {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let shared = SharedFolder::open(root.join("shared").to_str().unwrap()).unwrap();
        Tiers {
            _dir: dir,
            root,
            shared,
        }
    }

    /// A fresh local folder, as on another machine.
    fn local(&self, name: &str) -> LocalCache {
        LocalCache::open(self.root.join(name).to_str().unwrap()).unwrap()
    }
}

#[test]
fn a_local_miss_is_fetched_from_the_shared_folder_checked_and_kept_locally() {
    let tiers = Tiers::new();
    let (a, body) = (action("compile net"), b"net.a".repeat(5000));
    // As Go does: the put comes after the miss was answered (not beside it, where a fetch
    // worker could find the upload already there).
    let one = tiers.local("one");
    let first = run(
        &one,
        Some(&tiers.shared),
        &Requests::default().get(1, &a).close(2),
    );
    assert_eq!(first.summary.misses, 1);
    let put = run(
        &one,
        Some(&tiers.shared),
        &Requests::default().put(1, &a, &body).close(2),
    );
    assert_eq!(put.summary.uploads, 1);

    let other = tiers.local("two");
    let second = run(
        &other,
        Some(&tiers.shared),
        &Requests::default().get(1, &a).close(2),
    );
    let get = second.response(1);
    assert_eq!(disk_bytes(get), body);
    assert!(
        get["DiskPath"]
            .as_str()
            .unwrap()
            .starts_with(other.dir().as_str()),
        "the go command reads the local copy: {get}"
    );
    let s = &second.summary;
    assert_eq!(
        (s.gets, s.remote_hits, s.local_hits, s.misses),
        (1, 1, 0, 0)
    );

    // Kept: the next session needs nothing from the shared folder.
    let third = run(&other, None, &Requests::default().get(1, &a).close(2));
    assert_eq!(third.summary.local_hits, 1);
    assert_eq!(disk_bytes(third.response(1)), body);
}

#[test]
fn a_shared_output_with_a_flipped_byte_is_a_miss_and_is_not_kept() {
    let tiers = Tiers::new();
    let (a, body) = (action("a"), b"the real bytes".to_vec());
    run(
        &tiers.local("one"),
        Some(&tiers.shared),
        &Requests::default().put(1, &a, &body).close(2),
    );
    let entry = tiers.shared.lookup(&a).unwrap().unwrap();
    let stored = tiers.shared.dir().join("o").join(
        entry
            .output_id
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    );
    let mut bytes = std::fs::read(&stored).unwrap();
    bytes[3] ^= 0x01;
    std::fs::write(&stored, &bytes).unwrap();

    let other = tiers.local("two");
    let session = run(
        &other,
        Some(&tiers.shared),
        &Requests::default().get(1, &a).close(2),
    );
    assert_eq!(session.response(1), &json!({"ID": 1, "Miss": true}));
    assert_eq!(session.summary.remote_rejected, 1);
    assert_eq!(session.summary.misses, 1);
    assert!(
        session
            .summary
            .first_remote_error
            .unwrap()
            .contains("arrived as 14 bytes hashing to")
    );
    assert!(files(other.dir().as_std_path()).is_empty(), "nothing kept");

    // The rebuilt output's upload repairs the shared folder.
    run(
        &other,
        Some(&tiers.shared),
        &Requests::default().put(1, &a, &body).close(2),
    );
    assert_eq!(std::fs::read(&stored).unwrap(), body);
}

/// A remote tier that fails at everything, and one that serves other bytes than it promised.
struct Broken {
    lie: bool,
}

impl RemoteCache for Broken {
    fn lookup(&self, _: &[u8; 32]) -> Result<Option<RemoteEntry>, RemoteError> {
        if self.lie {
            Ok(Some(RemoteEntry {
                output_id: sha256(b"promised"),
                size: 8,
                time_unix_nanos: 1,
            }))
        } else {
            Err(RemoteError::new("registry unreachable"))
        }
    }

    fn fetch(&self, _: &[u8; 32], _: u64, dest: &Utf8Path) -> Result<(), RemoteError> {
        std::fs::write(dest, b"imposter").map_err(|e| RemoteError::new(e.to_string()))
    }

    fn store(&self, _: &[u8; 32], _: &RemoteEntry, _: &Utf8Path) -> Result<(), RemoteError> {
        Err(RemoteError::new("registry refused the upload"))
    }
}

#[test]
fn a_failing_remote_is_a_miss_and_a_failed_upload_is_counted_not_reported() {
    let dir = tempfile::tempdir().unwrap();
    let local = LocalCache::open(dir.path().to_str().unwrap()).unwrap();
    let (a, b) = (action("a"), action("b"));
    let session = run(
        &local,
        Some(&Broken { lie: false }),
        &Requests::default().get(1, &a).put(2, &b, b"bytes").close(3),
    );
    assert_eq!(session.response(1), &json!({"ID": 1, "Miss": true}));
    assert_eq!(disk_bytes(session.response(2)), b"bytes");
    let s = &session.summary;
    assert_eq!(
        (
            s.misses,
            s.remote_errors,
            s.upload_failures,
            s.uploads,
            s.errors
        ),
        (1, 1, 1, 0, 0)
    );
    // The lookup and the upload fail on threads of their own: either may be first.
    let first = s.first_remote_error.as_deref();
    assert!(
        matches!(
            first,
            Some("registry unreachable" | "registry refused the upload")
        ),
        "{first:?}"
    );
}

#[test]
fn a_remote_that_serves_other_bytes_than_its_entry_names_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let local = LocalCache::open(dir.path().to_str().unwrap()).unwrap();
    let a = action("a");
    let session = run(
        &local,
        Some(&Broken { lie: true }),
        &Requests::default().get(1, &a).close(2),
    );
    assert_eq!(session.response(1), &json!({"ID": 1, "Miss": true}));
    assert_eq!(session.summary.remote_rejected, 1);
    assert_eq!(local.get(&a).unwrap(), None);
}

/// Whether the put (ID 1) was answered, and the wake-up for the upload waiting for it.
type Answered = Arc<(Mutex<bool>, Condvar)>;

/// A shared folder whose uploads finish only once the put they upload was answered.
struct Slow {
    inner: SharedFolder,
    stored: Arc<AtomicBool>,
    answered: Answered,
}

impl RemoteCache for Slow {
    fn lookup(&self, action: &[u8; 32]) -> Result<Option<RemoteEntry>, RemoteError> {
        self.inner.lookup(action)
    }

    fn fetch(&self, output: &[u8; 32], size: u64, dest: &Utf8Path) -> Result<(), RemoteError> {
        self.inner.fetch(output, size, dest)
    }

    fn store(
        &self,
        action: &[u8; 32],
        entry: &RemoteEntry,
        body: &Utf8Path,
    ) -> Result<(), RemoteError> {
        // Waits for the put's answer itself: a server that answered a put only after its
        // upload would keep this waiting, and fail the test here.
        let (answered, wake) = &*self.answered;
        let answered = wake
            .wait_timeout_while(answered.lock().unwrap(), Duration::from_secs(10), |a| !*a)
            .unwrap()
            .0;
        assert!(
            *answered,
            "the put was not answered while its upload was under way"
        );
        self.inner.store(action, entry, body)?;
        self.stored.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// Response lines, each with whether the upload had finished when it was written.
type Lines = Arc<Mutex<Vec<(bool, Vec<u8>)>>>;

/// Records, for each response line, whether the upload had finished when it was written.
struct Witness {
    stored: Arc<AtomicBool>,
    lines: Lines,
    answered: Answered,
}

impl Write for Witness {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let done = self.stored.load(Ordering::SeqCst);
        self.lines.lock().unwrap().push((done, buf.to_vec()));
        if parse(buf).iter().any(|response| response["ID"] == 1) {
            let (answered, wake) = &*self.answered;
            *answered.lock().unwrap() = true;
            wake.notify_all();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_put_is_answered_before_its_upload_and_close_after_it() {
    let tiers = Tiers::new();
    let stored = Arc::new(AtomicBool::new(false));
    let answered = Answered::default();
    let remote = Slow {
        inner: tiers.shared.clone(),
        stored: stored.clone(),
        answered: answered.clone(),
    };
    let lines = Arc::new(Mutex::new(Vec::new()));
    let witness = Witness {
        stored: stored.clone(),
        lines: lines.clone(),
        answered,
    };
    let a = action("a");
    let requests = Requests::default().put(1, &a, b"body").close(2);
    let summary = serve(
        &tiers.local("one"),
        Some(&remote),
        requests.bytes(),
        witness,
    )
    .unwrap();
    assert_eq!(summary.uploads, 1);
    let lines = lines.lock().unwrap();
    let by_id = |id: i64| {
        lines
            .iter()
            .find(|(_, line)| parse(line)[0]["ID"] == id)
            .map(|(done, _)| *done)
            .unwrap()
    };
    assert!(
        !by_id(1),
        "the put was answered while its upload was under way"
    );
    assert!(by_id(2), "close was answered after the upload");
    assert!(tiers.shared.lookup(&a).unwrap().is_some());
}

#[test]
fn a_shared_folder_round_trips_an_entry() {
    let tiers = Tiers::new();
    let body_path = tiers.root.join("body");
    std::fs::write(&body_path, b"bytes").unwrap();
    let entry = RemoteEntry {
        output_id: sha256(b"bytes"),
        size: 5,
        time_unix_nanos: 1_700_000_000_000_000_000,
    };
    let a = action("a");
    assert_eq!(tiers.shared.lookup(&a).unwrap(), None);
    let body = Utf8Path::from_path(&body_path).unwrap();
    tiers.shared.store(&a, &entry, body).unwrap();
    assert_eq!(tiers.shared.lookup(&a).unwrap(), Some(entry));
    let dest = body.with_file_name("fetched");
    tiers.shared.fetch(&entry.output_id, 5, &dest).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"bytes");
    let err = tiers.shared.fetch(&entry.output_id, 6, &dest).unwrap_err();
    assert!(err.message().contains("not the 6"), "{err}");
    let missing = tiers
        .shared
        .fetch(&sha256(b"nothing"), 0, &dest)
        .unwrap_err();
    assert!(missing.message().contains("could not copy"), "{missing}");
}
