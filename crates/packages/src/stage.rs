//! One package's file tree, laid out in a folder for `dpkg-deb` or `rpmbuild` to pack.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use build_core::Target;
use build_core::process::LoggedCommand;
use bundle_format::Manifest;
use camino::{Utf8Path, Utf8PathBuf};

use crate::table::{Content, PackageSpec};
use crate::{Distro, Format, PackageError, PackageRequest, PackageVersion};

/// The shell completions the bundle's own `docker` writes (`docker completion SHELL`), as
/// the CLI's `make shell-completion` makes them for Docker's packages.
pub(crate) struct Completions(BTreeMap<&'static str, Vec<u8>>);

impl Completions {
    /// Runs the bundle's `docker` (under qemu's user emulator for another architecture), with
    /// an empty configuration of its own in `scratch`, once per shell the packages need.
    pub(crate) fn of(
        bundle: &Utf8Path,
        manifest: &Manifest,
        scratch: &Utf8Path,
    ) -> Result<Completions, PackageError> {
        let docker = bundle.join("docker/docker");
        let config = scratch.join("docker-config");
        std::fs::create_dir_all(&config).map_err(PackageError::io("creating", &config))?;
        let mut all = BTreeMap::new();
        let shells = crate::PACKAGES
            .iter()
            .flat_map(|p| p.contents)
            .filter_map(|c| match c {
                Content::Completion { shell, .. } => Some(*shell),
                _ => None,
            });
        for shell in shells {
            let command = match (manifest.target.is_host(), emulator(&manifest.target)) {
                (true, _) | (false, None) => LoggedCommand::new(docker.as_str()),
                (false, Some(qemu)) => LoggedCommand::new(qemu).arg(docker.as_str()),
            };
            let command = command
                .args(["completion", shell])
                .env("DOCKER_CONFIG", config.as_str())
                .env("HOME", scratch.as_str());
            let out = command.output()?;
            if !out.status.success() || out.stdout.is_empty() {
                return Err(PackageError::io(
                    "writing the shell completion with",
                    docker,
                )(std::io::Error::other(format!(
                    "`docker completion {shell}` failed: {}",
                    build_core::process::tail(&out.stderr, 5)
                ))));
            }
            all.insert(shell, out.stdout.into_bytes());
        }
        Ok(Completions(all))
    }
}

fn emulator(target: &Target) -> Option<String> {
    target
        .architecture()
        .map(|a| format!("qemu-{}-static", a.qemu))
}

/// Where a staged file's bytes come from.
enum Bytes {
    /// A file of the bundle (already verified).
    File(Utf8PathBuf),
    /// Bytes made here.
    Made(Vec<u8>),
    /// A file of the bundle, compressed as gzip -9n does (a man page).
    Gzipped(Utf8PathBuf),
}

/// One installed file.
struct Entry {
    bytes: Bytes,
    mode: u32,
    /// A conffile (deb) / `%config(noreplace)` (rpm).
    config: bool,
}

/// A package's files, keyed by installed path.
pub(crate) struct Staged<'a> {
    pub(crate) spec: &'a PackageSpec,
    entries: BTreeMap<String, Entry>,
    /// Empty folders it makes.
    folders: Vec<String>,
    /// The bundle's `SOURCE_DATE_EPOCH`: every time in the package.
    pub(crate) epoch: i64,
}

impl<'a> Staged<'a> {
    /// Resolves `spec`'s contents against the bundle and the distribution.
    pub(crate) fn new(
        spec: &'a PackageSpec,
        bundle: &Utf8Path,
        manifest: &Manifest,
        distro: &Distro,
        completions: &Completions,
    ) -> Staged<'a> {
        let mut entries = BTreeMap::new();
        let mut folders = Vec::new();
        // A binary only some Docker releases ship is in their packages alone (`verify` has
        // checked the manifest's version is a release).
        let in_bundle = |c: &&Content| manifest.release().is_none_or(|r| c.in_release(r));
        for content in spec.contents.iter().filter(in_bundle) {
            let (path, entry) = match content {
                Content::Bundle { from, to } => (
                    (*to).to_owned(),
                    Entry {
                        bytes: Bytes::File(bundle.join(from)),
                        mode: 0o755,
                        config: false,
                    },
                ),
                Content::Unit(unit) => (
                    format!("{}/{unit}", distro.unit_dir),
                    Entry {
                        bytes: Bytes::File(bundle.join("systemd").join(unit)),
                        mode: 0o644,
                        config: false,
                    },
                ),
                Content::Config { to, text } => (
                    (*to).to_owned(),
                    Entry {
                        bytes: Bytes::Made(text.as_bytes().to_vec()),
                        mode: 0o644,
                        config: true,
                    },
                ),
                Content::DebFile {
                    from,
                    to,
                    mode,
                    config,
                } => {
                    if distro.format != Format::Deb {
                        continue;
                    }
                    (
                        (*to).to_owned(),
                        Entry {
                            bytes: Bytes::File(bundle.join(from)),
                            mode: *mode,
                            config: *config,
                        },
                    )
                }
                Content::DebFolder(folder) => {
                    if distro.format == Format::Deb {
                        folders.push((*folder).to_owned());
                    }
                    continue;
                }
                Content::ManPages(sections) => {
                    for (path, entry) in man_pages(bundle, manifest, sections) {
                        entries.insert(path, entry);
                    }
                    continue;
                }
                Content::Completion { shell, to } => (
                    (*to).to_owned(),
                    Entry {
                        bytes: Bytes::Made(completions.0.get(shell).cloned().unwrap_or_default()),
                        mode: 0o644,
                        config: false,
                    },
                ),
            };
            entries.insert(path, entry);
        }
        Staged {
            spec,
            entries,
            folders,
            epoch: manifest.source_date_epoch,
        }
    }

    /// Writes the tree under `root` (for deb also the copyright file and changelog Debian
    /// policy asks of every package) with explicit modes, whatever the umask.
    pub(crate) fn write(
        mut self,
        root: &Utf8Path,
        version: &PackageVersion,
        request: &PackageRequest,
    ) -> Result<Staged<'a>, PackageError> {
        if request.distro.format == Format::Deb {
            let doc = format!("/usr/share/doc/{}", self.spec.name);
            self.entries.insert(
                format!("{doc}/copyright"),
                Entry {
                    bytes: Bytes::Made(copyright(self.spec).into_bytes()),
                    mode: 0o644,
                    config: false,
                },
            );
            self.entries.insert(
                format!("{doc}/changelog.Debian.gz"),
                Entry {
                    bytes: Bytes::Made(changelog(self.spec, version, request, self.epoch)?),
                    mode: 0o644,
                    config: false,
                },
            );
            if let Some(text) = self.lintian_overrides() {
                self.entries.insert(
                    format!("/usr/share/lintian/overrides/{}", self.spec.name),
                    Entry {
                        bytes: Bytes::Made(text.into_bytes()),
                        mode: 0o644,
                        config: false,
                    },
                );
            }
        }
        for folder in &self.folders {
            for dir in crate::parents(folder).iter().chain([folder]) {
                let dir = root.join(dir.trim_start_matches('/'));
                std::fs::create_dir_all(&dir).map_err(PackageError::io("creating", &dir))?;
                set_mode(&dir, 0o755)?;
            }
        }
        for (path, entry) in &self.entries {
            for dir in crate::parents(path) {
                let dir = root.join(dir.trim_start_matches('/'));
                if !dir.is_dir() {
                    std::fs::create_dir_all(&dir).map_err(PackageError::io("creating", &dir))?;
                }
                set_mode(&dir, 0o755)?;
            }
            let dest = root.join(path.trim_start_matches('/'));
            match &entry.bytes {
                Bytes::File(from) => {
                    if !from.is_file() {
                        return Err(PackageError::MissingFromBundle {
                            bundle: request.bundle.clone(),
                            path: from
                                .strip_prefix(&request.bundle)
                                .unwrap_or(from)
                                .to_string(),
                            package: self.spec.name,
                        });
                    }
                    std::fs::copy(from, &dest).map_err(PackageError::io("copying to", &dest))?
                }
                Bytes::Made(bytes) => {
                    std::fs::write(&dest, bytes).map_err(PackageError::io("writing", &dest))?;
                    bytes.len() as u64
                }
                Bytes::Gzipped(from) => {
                    let text = std::fs::read(from).map_err(PackageError::io("reading", from))?;
                    let bytes = gzip(&text, &dest)?;
                    std::fs::write(&dest, &bytes).map_err(PackageError::io("writing", &dest))?;
                    bytes.len() as u64
                }
            };
            set_mode(&dest, entry.mode)?;
        }
        set_mode(root, 0o755)?;
        // Every time in the tree is the bundle's epoch, whatever the packer clamps.
        let epoch = std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(u64::try_from(self.epoch).unwrap_or(0));
        set_times(root, epoch)?;
        Ok(self)
    }

    /// lintian's overrides, each with its reason: the binaries are static (`--static`
    /// bundles, as Docker's static download and its plugins are) and keep their symbols (as in
    /// Docker's packages, whose rules turn `dh_strip` off: Go's panics and debuggers use them).
    fn lintian_overrides(&self) -> Option<String> {
        let mut text = String::new();
        for (path, entry) in &self.entries {
            let Bytes::File(from) = &entry.bytes else {
                continue;
            };
            let Ok(elf) = build_core::elf::inspect(from) else {
                continue;
            };
            let at = path.trim_start_matches('/');
            // lintian takes a static PIE (runc) for a library, not a static binary.
            if elf.link == build_core::elf::LinkKind::Static {
                text.push_str(&format!(
                    "# Static, as in Docker's static download: it runs on any Linux of its architecture.\nstatically-linked-binary [{at}]\n"
                ));
            }
            if elf.symbols {
                text.push_str(&format!(
                    "# Not stripped, as Docker's own packages are not (their rules turn dh_strip off).\nunstripped-binary-or-object [{at}]\n"
                ));
            }
        }
        (!text.is_empty()).then_some(text)
    }

    /// The installed paths of files, sorted.
    pub(crate) fn installs(&self) -> Vec<String> {
        self.entries.keys().cloned().collect()
    }

    /// The empty folders it makes, with every folder above a file, sorted.
    pub(crate) fn folders(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .entries
            .keys()
            .flat_map(|p| crate::parents(p))
            .chain(self.folders.iter().flat_map(|f| {
                let mut with = crate::parents(f);
                with.push(f.clone());
                with
            }))
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// The conffiles, sorted.
    pub(crate) fn config_files(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(_, e)| e.config)
            .map(|(p, _)| p.as_str())
            .collect()
    }

    /// The folders the files are in that the package owns (not the system's own, such as
    /// `/usr/bin`), sorted: rpm lists them with `%dir`.
    pub(crate) fn own_dirs(&self) -> Vec<String> {
        const SYSTEM: &[&str] = &[
            "/etc",
            "/lib",
            "/lib/systemd",
            "/lib/systemd/system",
            "/usr",
            "/usr/bin",
            "/usr/lib",
            "/usr/lib/systemd",
            "/usr/lib/systemd/system",
            "/usr/libexec",
            "/usr/share",
            "/usr/share/bash-completion",
            "/usr/share/bash-completion/completions",
            "/usr/share/doc",
            "/usr/share/fish",
            "/usr/share/fish/vendor_completions.d",
            "/usr/share/zsh",
            "/usr/share/zsh/vendor-completions",
        ];
        let mut dirs: Vec<String> = self
            .entries
            .keys()
            .flat_map(|p| crate::parents(p))
            .filter(|d| !SYSTEM.contains(&d.as_str()))
            .collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }
}

/// Sets the modification time of `path` and everything under it (folders last).
fn set_times(path: &Utf8Path, time: std::time::SystemTime) -> Result<(), PackageError> {
    if path.is_dir() {
        for entry in path
            .read_dir_utf8()
            .map_err(PackageError::io("reading", path))?
        {
            let entry = entry.map_err(PackageError::io("reading", path))?;
            set_times(entry.path(), time)?;
        }
    }
    std::fs::File::open(path)
        .and_then(|f| f.set_modified(time))
        .map_err(PackageError::io("setting the time of", path))
}

fn set_mode(path: &Utf8Path, mode: u32) -> Result<(), PackageError> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(PackageError::io("setting the mode of", path))
}

/// A machine-readable copyright file (DEP-5) for what `spec` ships.
fn copyright(spec: &PackageSpec) -> String {
    let (holder, licence) = spec.copyright;
    format!(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
         Upstream-Name: {name}\n\
         Source: {home}\n\
         Comment: Built from the pinned upstream sources by dockyard.\n\
         \n\
         Files: *\n\
         Copyright: {holder}\n\
         License: {licence}\n\
         \x20On Debian systems, the full text of the {licence} license can be found in\n\
         \x20/usr/share/common-licenses/{licence}.\n",
        name = spec.name,
        home = spec.homepage,
    )
}

/// The changelog every Debian package carries, one entry for this build, gzip'd as
/// `gzip -9n` does (no name, no time).
fn changelog(
    spec: &PackageSpec,
    version: &PackageVersion,
    request: &PackageRequest,
    epoch: i64,
) -> Result<Vec<u8>, PackageError> {
    let text = format!(
        "{name} ({version}) {suite}; urgency=medium\n\n  * Built by dockyard from the sources pinned in its bundle.\n\n -- {maintainer}  {date}\n",
        name = spec.name,
        suite = request.distro.suite,
        maintainer = request.maintainer,
        date = rfc2822(epoch),
    );
    gzip(text.as_bytes(), Utf8Path::new("changelog.Debian.gz"))
}

/// `bytes` as `gzip -9n` compresses them: no name, no time, so the same bytes every time.
fn gzip(bytes: &[u8], path: &Utf8Path) -> Result<Vec<u8>, PackageError> {
    use std::io::Write;
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)
        .map_err(PackageError::io("compressing", path))?;
    gz.finish().map_err(PackageError::io("compressing", path))
}

/// The bundle's man pages of `sections`, each at its installed path (verified with the
/// bundle; a name that is no page's is no entry).
fn man_pages(bundle: &Utf8Path, manifest: &Manifest, sections: &[u8]) -> Vec<(String, Entry)> {
    let pages = manifest.files.iter().filter_map(|f| {
        let inside = f.path.strip_prefix(bundle_format::MAN_FOLDER)?;
        let (folder, name) = inside.strip_prefix('/')?.split_once('/')?;
        let section = bundle_format::section_of(name)?;
        (folder == format!("man{section}") && sections.contains(&section)).then(|| {
            (
                format!("/usr/share/man/{folder}/{name}.gz"),
                bundle.join(&f.path),
            )
        })
    });
    pages
        .map(|(path, from)| {
            let entry = Entry {
                bytes: Bytes::Gzipped(from),
                mode: 0o644,
                config: false,
            };
            (path, entry)
        })
        .collect()
}

/// `Thu, 01 Jan 1970 00:00:00 +0000`, from seconds since the epoch.
pub(crate) fn rfc2822(epoch: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // rfc3339 gives `YYYY-MM-DDTHH:MM:SSZ`.
    let iso = build_core::build::rfc3339(epoch);
    let (date, time) = iso
        .trim_end_matches('Z')
        .split_once('T')
        .unwrap_or_default();
    let mut parts = date.split('-');
    let (y, m, d) = (
        parts.next().unwrap_or("1970"),
        parts
            .next()
            .and_then(|m| m.parse::<usize>().ok())
            .unwrap_or(1),
        parts.next().unwrap_or("01"),
    );
    let day = DAYS[epoch.div_euclid(86_400).rem_euclid(7) as usize];
    format!("{day}, {d} {} {y} {time} +0000", MONTHS[m - 1])
}
