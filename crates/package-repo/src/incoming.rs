//! Package sets taken in: each file checked by name and size, copied into the staging folder,
//! and read there (the bytes read are the bytes published) for its name, version, architecture
//! and the distribution release its version names.

use build_core::process::LoggedCommand;
use camino::{Utf8Path, Utf8PathBuf};
use packages::{DISTROS, Distro, Format, PACKAGES};

use crate::RepoError;
use crate::files::{MAX_PACKAGE, copy_limited, package_files, same_bytes, shown};

/// One package taken in.
#[derive(Debug)]
pub(crate) struct Incoming {
    /// Where it was given.
    pub(crate) given: Utf8PathBuf,
    /// Its copy in the staging folder.
    pub(crate) file: Utf8PathBuf,
    /// Its file name (what its fields name it).
    pub(crate) name: String,
    /// Its package (`docker-ce`).
    pub(crate) package: &'static str,
    /// Its full version (`5:29.7.2-1~debian.12~bookworm`).
    pub(crate) version: String,
    /// Its architecture in the format's words (`amd64`, `x86_64`).
    pub(crate) arch: &'static str,
    /// The release its version names.
    pub(crate) distro: &'static Distro,
}

/// The packages of every set in `sets`, copied into `into`, each name once (the same name
/// given twice must be the same bytes).
pub(crate) fn take(
    sets: &[Utf8PathBuf],
    format: Format,
    into: &Utf8Path,
) -> Result<Vec<Incoming>, RepoError> {
    let ext = extension(format);
    let mut taken: Vec<Incoming> = Vec::new();
    for (n, set) in sets.iter().enumerate() {
        if !std::fs::metadata(set).is_ok_and(|m| m.is_dir()) {
            return Err(RepoError::NotAFolder { path: set.clone() });
        }
        let dir = into.join(n.to_string());
        std::fs::create_dir(&dir).map_err(RepoError::io("creating", &dir))?;
        for (name, _) in package_files(set, ext, true)? {
            let given = set.join(&name);
            let file = dir.join(&name);
            copy_limited(&given, &file, MAX_PACKAGE, "package")?;
            let package = read(&given, &file, name, format)?;
            match taken.iter().find(|t| t.name == package.name) {
                Some(earlier) if !same_bytes(&earlier.file, &package.file)? => {
                    return Err(RepoError::Republished {
                        file: package.given,
                        published: earlier.given.clone(),
                    });
                }
                Some(_) => {}
                None => taken.push(package),
            }
        }
    }
    Ok(taken)
}

/// `.deb` or `.rpm`.
pub(crate) fn extension(format: Format) -> &'static str {
    match format {
        Format::Deb => ".deb",
        Format::Rpm => ".rpm",
    }
}

/// Reads the copy `file` of `given` (named `name`) with the format's own tool.
fn read(
    given: &Utf8Path,
    file: &Utf8Path,
    name: String,
    format: Format,
) -> Result<Incoming, RepoError> {
    let fields: Vec<String> = match format {
        Format::Deb => {
            let said = LoggedCommand::new("dpkg-deb")
                .args([
                    "--field",
                    file.as_str(),
                    "Package",
                    "Version",
                    "Architecture",
                ])
                .read()?;
            ["Package", "Version", "Architecture"]
                .iter()
                .map(|f| field(&said, f))
                .collect()
        }
        Format::Rpm => {
            let said = LoggedCommand::new("rpm")
                .args(["-qp", "--queryformat"])
                .arg("%{NAME}\\n%{EPOCHNUM}\\n%{VERSION}\\n%{RELEASE}\\n%{ARCH}\\n")
                .arg(file.as_str())
                .env("LC_ALL", "C")
                .read()?;
            said.lines().map(str::to_owned).collect()
        }
    };
    let bad = |field: &'static str, value: &str| RepoError::BadField {
        file: given.to_owned(),
        field,
        value: shown(value),
    };
    let at = |i: usize| fields.get(i).map_or("", String::as_str);
    let package_name = at(0);
    let package = PACKAGES
        .iter()
        .find(|p| p.name == package_name)
        .map(|p| p.name)
        .ok_or_else(|| RepoError::NotDockers {
            file: given.to_owned(),
            name: shown(package_name),
            known: PACKAGES
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let (version, release, arch) = match format {
        Format::Deb => {
            let version = at(1);
            let release = version.rsplit_once('-').map_or("", |(_, r)| r);
            (version.to_owned(), release, at(2))
        }
        Format::Rpm => {
            let epoch = at(1);
            if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("epoch", epoch));
            }
            let epoch = if epoch == "0" {
                String::new()
            } else {
                format!("{epoch}:")
            };
            (format!("{epoch}{}-{}", at(2), at(3)), at(3), at(4))
        }
    };
    let version_ok = version.starts_with(|c: char| c.is_ascii_digit())
        && version.len() <= 128
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".+~:-_^".contains(&b));
    if !version_ok {
        return Err(bad("version", &version));
    }
    let architectures = format.architectures();
    let arch = architectures
        .iter()
        .copied()
        .find(|a| *a == arch)
        .ok_or_else(|| RepoError::UnknownArchitecture {
            file: given.to_owned(),
            arch: shown(arch),
            known: architectures.join(", "),
        })?;
    let ours = DISTROS.iter().filter(|d| d.format == format);
    let distro = ours
        .clone()
        .find(|d| d.version(None, "0").release == release)
        .ok_or_else(|| RepoError::UnknownRelease {
            file: given.to_owned(),
            version: version.clone(),
            known: ours.map(|d| d.name).collect::<Vec<_>>().join(", "),
        })?;
    let without_epoch = version.split_once(':').map_or(version.as_str(), |(_, v)| v);
    let expected = match format {
        Format::Deb => format!("{package}_{without_epoch}_{arch}.deb"),
        Format::Rpm => format!("{package}-{without_epoch}.{arch}.rpm"),
    };
    if expected != name {
        return Err(RepoError::Misnamed {
            file: given.to_owned(),
            package,
            version,
            arch,
            expected,
        });
    }
    Ok(Incoming {
        given: given.to_owned(),
        file: file.to_owned(),
        name,
        package,
        version,
        arch,
        distro,
    })
}

/// The value of `name` in `dpkg-deb --field`'s `Name: value` lines.
fn field(said: &str, name: &str) -> String {
    said.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
        .unwrap_or_default()
        .to_owned()
}
