//! Real `go build`s with `GOCACHEPROG` pointing at `examples/go_cache_prog.rs`.
//!
//! The module built is tiny (a main package and one local package, no dependencies) and Go
//! is kept off the network (`GOPROXY=off`, `GOTOOLCHAIN=local`). Builds use `-trimpath` and
//! an empty build ID, so the same sources give the same bytes wherever they are built.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use go_cache::{LocalCache, PackLimits, Summary, pack, read_journal, unpack};

/// The example program, built now so it matches the library under test.
///
/// `cargo test` has usually built it already (examples are built with the tests); this
/// also covers `cargo test --test go_build`, which builds none. The build lock is not held
/// while tests run, and an up-to-date example costs no more than a look at its inputs.
fn program() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        // This test runs from <target>/<profile>/deps/; examples go to <target>/<profile>/examples/.
        let exe = std::env::current_exe().unwrap();
        let profile = exe.parent().and_then(Path::parent).unwrap();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build.args([
            "build",
            "--quiet",
            "-p",
            "go-cache",
            "--example",
            "go_cache_prog",
        ]);
        if profile.file_name().is_some_and(|p| p == "release") {
            build.arg("--release");
        }
        let status = build
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(
            status.success(),
            "building the example go_cache_prog failed"
        );
        let name = format!("go_cache_prog{}", std::env::consts::EXE_SUFFIX);
        let program = profile.join("examples").join(name);
        assert!(program.is_file(), "{} is missing", program.display());
        program
    })
}

/// A Go module in a temporary folder, and the folders Go may write to.
struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    module: PathBuf,
}

/// One build's result.
struct Build {
    binary: Vec<u8>,
    /// What the binary printed.
    stdout: String,
    /// What the cache program counted, if it was used.
    summary: Option<Summary>,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let module = root.join("hello");
        std::fs::create_dir_all(module.join("greet")).unwrap();
        write_old(
            &module.join("go.mod"),
            "module example.com/hello\n\ngo 1.24\n",
        );
        write_old(
            &module.join("main.go"),
            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/hello/greet\"\n)\n\n\
             func main() {\n\tfmt.Println(greet.Text())\n}\n",
        );
        let world = World {
            _dir: dir,
            root,
            module,
        };
        world.set_greeting("hello from greet v1");
        world
    }

    fn set_greeting(&self, text: &str) {
        write_old(
            &self.module.join("greet/greet.go"),
            &format!(
                "package greet\n\n// Text is what the program prints.\n\
                 func Text() string {{ return {text:?} }}\n"
            ),
        );
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// The journal of the build `name`: the actions it used.
    fn journal(&self, name: &str) -> PathBuf {
        self.path(&format!("{name}.journal"))
    }

    /// The local tier `name`.
    fn local(&self, name: &str) -> LocalCache {
        LocalCache::open(camino::Utf8Path::from_path(&self.path(name)).unwrap()).unwrap()
    }

    /// `go build`s the module, through the cache program with `local` (and `shared`) if
    /// `local` is given, else with Go's own cache; then runs the binary.
    fn build(&self, name: &str, local: Option<&str>, shared: Option<&str>) -> Build {
        // The same file name every time: the name is part of the link's action ID.
        let out = self.path(name).join("hello");
        let summary_path = self.path(&format!("{name}.summary.json"));
        let mut go = Command::new("go");
        go.args([
            "build",
            "-trimpath",
            "-ldflags=-buildid=",
            "-buildvcs=false",
            "-o",
        ])
        .arg(&out)
        .arg(".")
        .current_dir(&self.module)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", self.path("home"))
        .env("GOENV", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOSUMDB", "off")
        .env("GOWORK", "off")
        .env("CGO_ENABLED", "0")
        .env("GOPATH", self.path("gopath"))
        .env("GOMODCACHE", self.path("gopath/pkg/mod"))
        // Go keeps its own cache folder even with GOCACHEPROG (for fuzzing data).
        .env("GOCACHE", self.path(&format!("{name}.gocache")));
        if let Some(local) = local {
            let mut prog = format!("'{}' '{}'", program().display(), self.path(local).display());
            if let Some(shared) = shared {
                prog.push_str(&format!(" '{}'", self.path(shared).display()));
            }
            go.env("GOCACHEPROG", prog)
                .env("DOCKYARD_GO_CACHE_SUMMARY", &summary_path)
                .env("DOCKYARD_GO_CACHE_JOURNAL", self.journal(name));
        }
        let output = go.output().unwrap();
        assert_success(&output, "go build");
        let run = Command::new(&out).output().unwrap();
        assert_success(&run, "the built program");
        Build {
            binary: std::fs::read(&out).unwrap(),
            stdout: String::from_utf8(run.stdout).unwrap(),
            summary: local
                .map(|_| serde_json::from_slice(&std::fs::read(&summary_path).unwrap()).unwrap()),
        }
    }
}

/// Writes `text` to `path`, dated a while ago (a second later each time).
///
/// Go keeps an index of each source folder in its cache, but not of a folder changed in the
/// last few seconds; old dates make what it looks up the same however fast the test runs.
fn write_old(path: &Path, text: &str) {
    static EDITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let edit = EDITS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000 + edit);
    std::fs::write(path, text).unwrap();
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(when).unwrap();
}

fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The entries in a cache folder's `sub` folder (`a` or `o`), temporary files aside.
fn entries(folder: &Path, sub: &str) -> Vec<PathBuf> {
    std::fs::read_dir(folder.join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect()
}

#[test]
fn go_builds_share_outputs_through_the_shared_folder_and_stay_correct() {
    let world = World::new();
    let shared = world.path("shared");

    // (a) A cold build works and fills the shared folder.
    let first = world.build("first", Some("local1"), Some("shared"));
    assert_eq!(first.stdout, "hello from greet v1\n");
    let s1 = first.summary.unwrap();
    eprintln!("first build (cold): {s1:?}");
    assert!(s1.misses > 0 && s1.puts > 0, "{s1:?}");
    assert_eq!((s1.local_hits, s1.remote_hits), (0, 0), "{s1:?}");
    assert_eq!(
        (s1.uploads, s1.upload_failures, s1.errors),
        (s1.puts, 0, 0),
        "{s1:?}"
    );
    let actions = entries(&shared, "a").len() as u64;
    assert_eq!(actions, s1.puts, "one shared entry per put");
    assert!(!entries(&shared, "o").is_empty());

    // (b) Another machine (an empty local folder) gets everything from the shared folder
    // and builds the same bytes.
    let second = world.build("second", Some("local2"), Some("shared"));
    let s2 = second.summary.unwrap();
    eprintln!("second build (empty local, shared): {s2:?}");
    assert!(second.binary == first.binary, "the binaries differ");
    assert_eq!(s2.local_hits, 0, "{s2:?}");
    assert!(s2.remote_hits > 0, "{s2:?}");
    assert!(s2.misses < s1.misses, "{s2:?}");
    assert_eq!(
        (s2.remote_errors, s2.remote_rejected, s2.errors),
        (0, 0, 0),
        "{s2:?}"
    );

    // (c) A one-line change in one package rebuilds only what depends on it. Go also looks
    // up a few entries that are never build outputs (module index data, the link step),
    // so the baseline is a rebuild with no change at all.
    let unchanged = world.build("unchanged", Some("local2"), Some("shared"));
    let s0 = unchanged.summary.unwrap();
    eprintln!("rebuild, nothing changed (warm local): {s0:?}");
    assert!(unchanged.binary == first.binary, "the binaries differ");
    assert_eq!((s0.remote_hits, s0.misses), (0, s2.misses), "{s0:?}");
    world.set_greeting("hello from greet v2");
    let third = world.build("third", Some("local2"), Some("shared"));
    let s3 = third.summary.unwrap();
    eprintln!("rebuild, greet changed (warm local): {s3:?}");
    assert_eq!(third.stdout, "hello from greet v2\n");
    assert!(third.binary != first.binary);
    // Three new lookups missed: greet's folder index, greet's compile and the compile of
    // main, which imports it. Everything else came from the local folder.
    assert_eq!(s3.misses, s0.misses + 3, "{s3:?}");
    assert_eq!(s3.remote_hits, 0, "{s3:?}");

    // (d) A damaged output in the shared folder is refused; the build is still right.
    let largest = entries(&shared, "o")
        .into_iter()
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&largest).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&largest, &bytes).unwrap();
    let fourth = world.build("fourth", Some("local4"), Some("shared"));
    let s4 = fourth.summary.unwrap();
    eprintln!("fourth build (empty local, one shared output damaged): {s4:?}");
    assert!(s4.remote_rejected >= 1, "{s4:?}");
    // Each refused output is one more miss than an undamaged folder gives.
    assert_eq!(s4.misses, s2.misses + s4.remote_rejected, "{s4:?}");
    assert!(s4.remote_hits > 0, "{s4:?}");
    assert_eq!(fourth.stdout, "hello from greet v2\n");
    assert!(fourth.binary == third.binary, "the binaries differ");
    // The rebuilt output was uploaded over the damaged one.
    assert_ne!(std::fs::read(&largest).unwrap(), bytes);
}

#[test]
fn builds_with_and_without_gocacheprog_are_byte_identical() {
    let world = World::new();
    let plain = world.build("plain", None, None);
    let through = world.build("through", Some("local"), None);
    assert_eq!(plain.stdout, "hello from greet v1\n");
    assert_eq!(through.stdout, plain.stdout);
    assert!(through.binary == plain.binary, "the binaries differ");
    let s = through.summary.unwrap();
    assert!(
        s.puts > 0 && s.misses > 0,
        "the cache program was used: {s:?}"
    );
    // And again, now from the warm local folder alone.
    let again = world.build("again", Some("local"), None);
    let s = again.summary.unwrap();
    assert!(again.binary == plain.binary, "the binaries differ");
    assert!(s.local_hits > 0, "{s:?}");
}

#[test]
fn a_fresh_machine_with_the_teams_pack_asks_the_team_for_nothing_it_used() {
    let world = World::new();
    // The team's machine builds, and packs what its build used.
    let first = world.build("first", Some("local1"), Some("shared"));
    let s1 = first.summary.unwrap();
    let used = read_journal(camino::Utf8Path::from_path(&world.journal("first")).unwrap()).unwrap();
    assert_eq!(
        used.len() as u64,
        s1.puts,
        "a cold build uses what it stores"
    );
    let mut bytes = Vec::new();
    let packed = pack(&world.local("local1"), used, &mut bytes).unwrap();
    assert_eq!((packed.entries, packed.skipped), (s1.puts, 0), "{packed:?}");
    // Go also looks up entries it never stores: a warm rebuild with no change misses those.
    let warm = world.build("warm", Some("local1"), Some("shared"));
    let baseline = warm.summary.unwrap().misses;

    let limits = PackLimits {
        max_bytes: 1 << 30,
        max_entries: 100_000,
    };
    // A fresh machine unpacks the pack first: every lookup the build makes is found here.
    let unpacked = unpack(&world.local("local2"), bytes.as_slice(), limits).unwrap();
    assert_eq!((unpacked.entries, unpacked.skipped), (s1.puts, 0));
    let second = world.build("second", Some("local2"), Some("shared"));
    let s2 = second.summary.unwrap();
    eprintln!("fresh machine with the pack: {s2:?}");
    assert!(second.binary == first.binary, "the binaries differ");
    assert_eq!((s2.remote_hits, s2.misses), (0, baseline), "{s2:?}");
    assert_eq!(s2.local_hits, s2.gets - baseline, "{s2:?}");

    // After a one-line change, another fresh machine with the same pack asks the team only
    // for what the change made new: greet's folder index, greet and main.
    world.set_greeting("hello from greet v2");
    unpack(&world.local("local3"), bytes.as_slice(), limits).unwrap();
    let third = world.build("third", Some("local3"), Some("shared"));
    let s3 = third.summary.unwrap();
    eprintln!("fresh machine with the pack, greet changed: {s3:?}");
    assert_eq!(third.stdout, "hello from greet v2\n");
    assert_eq!((s3.remote_hits, s3.misses), (0, baseline + 3), "{s3:?}");
}
