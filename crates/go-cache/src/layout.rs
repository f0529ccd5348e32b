//! The folder layout both tiers use, and the atomic writes that keep it whole.
//!
//! ```text
//! <root>/o/<output id hex>   the output's bytes
//! <root>/a/<action id hex>   one line: "v1 <output id hex> <size> <unix nanos>"
//! ```
//!
//! Every file is written to a temporary file in the folder it ends up in and renamed into
//! place, so a process killed half-way leaves at most a stray temporary file, never a half
//! entry. An output is always in place before the action entry that names it.

use std::fs::File;
use std::io::{self, Read, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::{ActionId, Entry, Error, OutputId, hex};

/// The prefix of temporary files, so they are never mistaken for entries.
const TEMP_PREFIX: &str = ".tmp-";

/// One cache folder: its action and output subfolders.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    root: Utf8PathBuf,
    actions: Utf8PathBuf,
    outputs: Utf8PathBuf,
}

impl Layout {
    /// Opens the folder at `root`, made absolute, creating it and its subfolders if needed.
    pub(crate) fn create(root: &Utf8Path) -> Result<Layout, Error> {
        let absolute = std::path::absolute(root).map_err(|e| Error::io("resolve", root, e))?;
        let root = Utf8PathBuf::from_path_buf(absolute).map_err(|path| Error::NotUtf8 { path })?;
        let layout = Layout {
            actions: root.join("a"),
            outputs: root.join("o"),
            root,
        };
        for dir in [&layout.actions, &layout.outputs] {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create the folder", dir, e))?;
        }
        Ok(layout)
    }

    /// The folder itself.
    pub(crate) fn root(&self) -> &Utf8Path {
        &self.root
    }

    /// Where the entry for `action` lives.
    pub(crate) fn action_path(&self, action: &ActionId) -> Utf8PathBuf {
        self.actions.join(hex(action))
    }

    /// Where the output `output` lives.
    pub(crate) fn output_path(&self, output: &OutputId) -> Utf8PathBuf {
        self.outputs.join(hex(output))
    }

    /// The entry stored for `action`; `None` if there is none or it is not well formed.
    pub(crate) fn read_action(&self, action: &ActionId) -> Result<Option<Entry>, Error> {
        let path = self.action_path(action);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(parse_action(&text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read", path, e)),
        }
    }

    /// Stores `entry` for `action`, atomically.
    pub(crate) fn write_action(&self, action: &ActionId, entry: &Entry) -> Result<(), Error> {
        let line = format!(
            "v1 {} {} {}\n",
            hex(&entry.output_id),
            entry.size,
            entry.time_unix_nanos
        );
        let mut temp = self.temp_in(&self.actions)?;
        temp.write_all(line.as_bytes())
            .map_err(|e| Error::io("write", utf8(temp.path()), e))?;
        self.persist(temp, &self.action_path(action))
    }

    /// Whether the output file for `entry` is in place with the entry's size.
    pub(crate) fn has_output(&self, entry: &Entry) -> bool {
        std::fs::metadata(self.output_path(&entry.output_id))
            .is_ok_and(|m| m.is_file() && m.len() == entry.size)
    }

    /// A new temporary file among the outputs, to be filled and then [`Layout::persist`]ed.
    pub(crate) fn temp_output(&self) -> Result<NamedTempFile, Error> {
        self.temp_in(&self.outputs)
    }

    /// Stores `bytes` as the output `output`, atomically.
    pub(crate) fn write_output(&self, output: &OutputId, bytes: &[u8]) -> Result<(), Error> {
        let mut temp = self.temp_output()?;
        temp.write_all(bytes)
            .map_err(|e| Error::io("write", utf8(temp.path()), e))?;
        self.persist(temp, &self.output_path(output))
    }

    /// Renames a filled temporary file to `dest`, readable by everyone who can read the folder.
    pub(crate) fn persist(&self, temp: NamedTempFile, dest: &Utf8Path) -> Result<(), Error> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            temp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(|e| Error::io("set permissions on", utf8(temp.path()), e))?;
        }
        temp.persist(dest)
            .map_err(|e| Error::io("rename into place", dest, e.error))?;
        Ok(())
    }

    fn temp_in(&self, dir: &Utf8Path) -> Result<NamedTempFile, Error> {
        tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(dir)
            .map_err(|e| Error::io("create a temporary file in", dir, e))
    }
}

/// Parses an action entry line; `None` if it is not one.
fn parse_action(text: &str) -> Option<Entry> {
    let mut fields = text.trim_end_matches('\n').split(' ');
    if fields.next()? != "v1" {
        return None;
    }
    let output_id = parse_hex(fields.next()?)?;
    let size = fields.next()?.parse().ok()?;
    let time_unix_nanos = fields.next()?.parse().ok()?;
    if fields.next().is_some() {
        return None;
    }
    Some(Entry {
        output_id,
        size,
        time_unix_nanos,
    })
}

/// Parses 64 lowercase hex digits, the way IDs are named on disk; anything else is `None`.
pub(crate) fn parse_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// The SHA-256 and length of the file at `path`.
pub(crate) fn hash_file(path: &Utf8Path) -> Result<(OutputId, u64), Error> {
    let mut file = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("read", path, e)),
        };
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hasher.finalize().into(), size))
}

/// The SHA-256 of `bytes`.
pub(crate) fn hash_bytes(bytes: &[u8]) -> OutputId {
    Sha256::digest(bytes).into()
}

/// Now, in nanoseconds since the Unix epoch.
pub(crate) fn now_unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A temporary file's path as UTF-8 (it is inside a UTF-8 folder, with an ASCII name).
pub(crate) fn utf8(path: &std::path::Path) -> Utf8PathBuf {
    Utf8PathBuf::from(path.to_string_lossy().into_owned())
}
