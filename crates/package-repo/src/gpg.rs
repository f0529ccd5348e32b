//! The signing key: an OpenPGP secret key file, or a gpg home folder, copied into a gpg home
//! of dockyard's own in the temporary folder (the user's `~/.gnupg` and the folder given are
//! never written), used there by `gpg` to sign; the agent that home starts is stopped and the
//! home removed when the key is dropped.

use build_core::process::LoggedCommand;
use camino::{Utf8Path, Utf8PathBuf};

use crate::RepoError;
use crate::files::{copy_limited, remove};

/// The largest key file taken: an exported secret key is a few kilobytes.
pub(crate) const MAX_KEY: u64 = 1 << 20;
/// The largest keyring of a gpg home copied.
const MAX_KEYRING: u64 = 64 << 20;
/// The files of a gpg home that hold keys; nothing else of it is read (no gpg.conf, no
/// agent settings).
const KEYRINGS: [&str; 4] = ["pubring.kbx", "pubring.gpg", "secring.gpg", "trustdb.gpg"];
const PRIVATE_KEYS: &str = "private-keys-v1.d";

/// One secret key that signs, in a gpg home of its own.
#[derive(Debug)]
pub(crate) struct SigningKey {
    /// Removed on drop, after the agent is stopped.
    _home: tempfile::TempDir,
    dir: Utf8PathBuf,
    /// Its primary key's fingerprint (40 hex digits).
    pub(crate) fingerprint: String,
    passphrase: Option<Utf8PathBuf>,
}

impl SigningKey {
    /// The one signing key `key` (a secret key file or a gpg home folder) holds, unlocked by
    /// the first line of `passphrase` when it is protected.
    pub(crate) fn open(
        key: &Utf8Path,
        passphrase: Option<&Utf8Path>,
    ) -> Result<SigningKey, RepoError> {
        let temp = std::env::temp_dir();
        let home = tempfile::Builder::new()
            .prefix("dockyard-gnupg-")
            .tempdir()
            .map_err(RepoError::io(
                "creating a gpg home in",
                temp.to_string_lossy().as_ref(),
            ))?;
        let dir = build_core::fs::utf8(home.path().to_owned()).map_err(RepoError::io(
            "creating a gpg home in",
            temp.to_string_lossy().as_ref(),
        ))?;
        // gpg warns about a home others may enter, whatever the umask made of it.
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .map_err(RepoError::io("setting the mode of", &dir))?;
        let refused = |why| RepoError::KeyFile {
            path: key.to_owned(),
            why,
        };
        // The path given is followed (a key mounted as a secret is often a link); what it
        // holds is not.
        let real = key
            .canonicalize_utf8()
            .map_err(|_| refused("cannot be read"))?;
        let meta = std::fs::metadata(&real).map_err(RepoError::io("reading", &real))?;
        let mut signing = SigningKey {
            _home: home,
            dir,
            fingerprint: String::new(),
            passphrase: passphrase.map(Utf8Path::to_owned),
        };
        if meta.is_dir() {
            copy_home(&real, &signing.dir)?;
        } else if meta.is_file() {
            let copy = signing.dir.join("given.key");
            copy_limited(&real, &copy, MAX_KEY, "key file")?;
            signing
                .gpg()
                .args(["--import", copy.as_str()])
                .read()
                .map_err(|source| RepoError::KeyImport {
                    path: key.to_owned(),
                    source: Box::new(source),
                })?;
            remove(&copy)?;
        } else {
            return Err(refused("is neither a file nor a folder"));
        }
        let listing = signing
            .gpg()
            .args(["--with-colons", "--list-secret-keys"])
            .read()?;
        let mut keys = signing_keys(&listing);
        signing.fingerprint = match keys.len() {
            0 => {
                return Err(RepoError::NoSigningKey {
                    key: key.to_owned(),
                });
            }
            1 => keys.remove(0),
            _ => {
                return Err(RepoError::SeveralSigningKeys {
                    key: key.to_owned(),
                    fingerprints: keys,
                });
            }
        };
        // A key that cannot sign (locked, a stub whose secret is on a card not here) is found
        // now, before anything is read or written.
        let probe = signing.dir.join("probe");
        std::fs::write(&probe, "dockyard\n").map_err(RepoError::io("writing", &probe))?;
        signing.sign(&probe, &signing.dir.join("probe.asc"), false)?;
        Ok(signing)
    }

    /// `gpg` in this key's home, its messages untranslated.
    fn gpg(&self) -> LoggedCommand {
        LoggedCommand::new("gpg")
            .args([
                "--batch",
                "--no-tty",
                "--no-options",
                "--homedir",
                self.dir.as_str(),
            ])
            .env("GNUPGHOME", self.dir.as_str())
            .env("LC_ALL", "C")
    }

    /// `input` signed into `output`, inline (`InRelease`) when `inline`, else detached
    /// (`Release.gpg`, `repomd.xml.asc`); ASCII-armoured, SHA-512.
    pub(crate) fn sign(
        &self,
        input: &Utf8Path,
        output: &Utf8Path,
        inline: bool,
    ) -> Result<(), RepoError> {
        remove(output)?;
        let mut command = self.gpg().args([
            "--local-user",
            &self.fingerprint,
            "--digest-algo",
            "SHA512",
            "--armor",
        ]);
        if let Some(file) = &self.passphrase {
            command = command.args([
                "--pinentry-mode",
                "loopback",
                "--passphrase-file",
                file.as_str(),
            ]);
        }
        let mode = if inline {
            "--clearsign"
        } else {
            "--detach-sign"
        };
        match command
            .args([mode, "-o", output.as_str(), input.as_str()])
            .read()
        {
            Ok(_) => Ok(()),
            Err(e) if LOCKED.iter().any(|words| e.tail.contains(words)) => {
                Err(RepoError::Passphrase {
                    fingerprint: self.fingerprint.clone(),
                    given: self.passphrase.is_some(),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The public key, ASCII-armoured: what machines that install from the repository trust.
    pub(crate) fn public_key(&self) -> Result<String, RepoError> {
        let text = self
            .gpg()
            .args(["--armor", "--export", &self.fingerprint])
            .read()?;
        Ok(text + "\n")
    }

    /// The primary keys' fingerprints of the public key file `file` (a repository's `gpg`),
    /// read without importing it.
    pub(crate) fn fingerprints_in(&self, file: &Utf8Path) -> Result<Vec<String>, RepoError> {
        let copy = self.dir.join("published.key");
        remove(&copy)?;
        copy_limited(file, &copy, MAX_KEY, "key file")?;
        let listing = self
            .gpg()
            .args(["--with-colons", "--show-keys", copy.as_str()])
            .read()?;
        Ok(primary_fingerprints(&listing, "pub", |_| true))
    }
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        // The agent gpg started for this home, and the folder of its sockets gpg makes under
        // /run/user/UID when there is one; the home itself goes with `_home`.
        for args in [["--kill", "gpg-agent"].as_slice(), &["--remove-socketdir"]] {
            let _ = LoggedCommand::new("gpgconf")
                .args(["--homedir", self.dir.as_str()])
                .args(args.iter().copied())
                .output();
        }
    }
}

/// What gpg says when a key needs a passphrase it was not given (no terminal to ask on), or
/// was given the wrong one.
const LOCKED: [&str; 4] = [
    "Inappropriate ioctl for device",
    "No passphrase given",
    "Bad passphrase",
    "No pinentry",
];

/// The secret keys of a `--list-secret-keys --with-colons` listing that can sign (the key as a
/// whole, `S` among its capabilities) and are neither expired, revoked nor disabled.
fn signing_keys(listing: &str) -> Vec<String> {
    primary_fingerprints(listing, "sec", |fields| {
        let validity = fields.get(1).copied().unwrap_or_default();
        let capabilities = fields.get(11).copied().unwrap_or_default();
        !matches!(validity, "e" | "r" | "d" | "i")
            && capabilities.contains('S')
            && !capabilities.contains('D')
    })
}

/// The fingerprint (the `fpr` record right after it) of each `kind` record `keep` accepts.
fn primary_fingerprints(listing: &str, kind: &str, keep: impl Fn(&[&str]) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    let mut wanted = None;
    for line in listing.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        match fields[0] {
            k if k == kind => wanted = Some(keep(&fields)),
            "fpr" => {
                if wanted == Some(true)
                    && let Some(fpr) = fields.get(9)
                {
                    found.push((*fpr).to_owned());
                }
                wanted = None;
            }
            _ => {}
        }
    }
    found
}

/// Copies the key files of the gpg home `from` into `to`: the keyrings and the private keys,
/// each a regular file under its limit; links and every other file are left.
fn copy_home(from: &Utf8Path, to: &Utf8Path) -> Result<(), RepoError> {
    let regular =
        |path: &Utf8Path| std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file());
    for name in KEYRINGS {
        let path = from.join(name);
        if regular(&path) {
            copy_limited(&path, &to.join(name), MAX_KEYRING, "keyring")?;
        }
    }
    let keys = from.join(PRIVATE_KEYS);
    if !std::fs::symlink_metadata(&keys).is_ok_and(|m| m.is_dir()) {
        return Ok(());
    }
    let into = to.join(PRIVATE_KEYS);
    std::fs::create_dir(&into).map_err(RepoError::io("creating", &into))?;
    let entries = std::fs::read_dir(&keys).map_err(RepoError::io("reading", &keys))?;
    for entry in entries.take(1000) {
        let entry = entry.map_err(RepoError::io("reading", &keys))?;
        let name = entry.file_name();
        let Some(name) = name.to_str().filter(|n| is_key_file_name(n)) else {
            continue;
        };
        let path = keys.join(name);
        if regular(&path) {
            copy_limited(&path, &into.join(name), MAX_KEY, "private key")?;
        }
    }
    Ok(())
}

/// `<keygrip>.key`: 40 hex digits.
fn is_key_file_name(name: &str) -> bool {
    name.strip_suffix(".key")
        .is_some_and(|grip| grip.len() == 40 && grip.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_usable_signing_keys_are_chosen() {
        let listing = "\
sec:u:255:22:C89E4CE86BD4F064:1796638791:::u:::scSC:::+::ed25519:::0:
fpr:::::::::3162120CB465AF25061B91EBC89E4CE86BD4F064:
uid:u::::1796638791::1337::dockyard test <t@example.test>::::::::::0:
sec:e:255:22:5A745688018852A4:1796638791:::u:::scSC:::+::ed25519:::0:
fpr:::::::::01B2C3ADB14FF98D6FE45EAF5A745688018852A4:
sec:u:3072:1:1111111111111111:1796638791:::u:::eE:::+::::::0:
fpr:::::::::2222222222222222222222222222222222222222:
ssb:u:255:22:3333333333333333:1796638791::::::s:::+::ed25519::
fpr:::::::::4444444444444444444444444444444444444444:
";
        assert_eq!(
            signing_keys(listing),
            ["3162120CB465AF25061B91EBC89E4CE86BD4F064"]
        );
        assert!(is_key_file_name(
            "0123456789ABCDEF0123456789ABCDEF01234567.key"
        ));
        assert!(!is_key_file_name(
            "../0123456789ABCDEF0123456789ABCDEF0123.key"
        ));
    }
}
