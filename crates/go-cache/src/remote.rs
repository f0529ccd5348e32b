//! The remote tier: a cache shared by a team, and the one that lives in a shared folder.

use std::fmt;

use camino::Utf8Path;

use crate::layout::Layout;
use crate::{ActionId, OutputId, RemoteEntry};

/// A second cache tier shared by several machines: a team's registry, a shared folder.
///
/// [`crate::serve`] asks it when the local tier misses and hands it every new output on
/// background threads. It need not be trusted: every output fetched from it is checked
/// against its output ID (the SHA-256 of its bytes) and size before the go command sees
/// it, and any [`RemoteError`] is counted and treated as a miss. Implementations must be
/// usable from several threads at once.
pub trait RemoteCache: Send + Sync {
    /// The entry stored for `action`, or `Ok(None)` if there is none.
    fn lookup(&self, action: &ActionId) -> Result<Option<RemoteEntry>, RemoteError>;

    /// Writes the bytes of the output `output` (`size` bytes long) to the file `dest`.
    ///
    /// `dest` already exists (an empty temporary file); the implementation may truncate and
    /// write it or replace it. It is checked afterwards, so a partial write is harmless.
    fn fetch(&self, output: &OutputId, size: u64, dest: &Utf8Path) -> Result<(), RemoteError>;

    /// Stores the file `body` as the output of `action`, described by `entry`.
    ///
    /// The body's SHA-256 has been checked to be `entry.output_id`. Storing an entry that is
    /// already there must succeed.
    fn store(
        &self,
        action: &ActionId,
        entry: &RemoteEntry,
        body: &Utf8Path,
    ) -> Result<(), RemoteError>;
}

/// Why the remote tier could not do what was asked: a message for a person.
///
/// It never reaches the go command; [`crate::serve`] counts it in its
/// [`Summary`](crate::Summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteError {
    message: String,
}

impl RemoteError {
    /// An error saying `message`.
    pub fn new(message: impl Into<String>) -> RemoteError {
        RemoteError {
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RemoteError {}

impl From<crate::Error> for RemoteError {
    fn from(error: crate::Error) -> RemoteError {
        RemoteError::new(error.with_cause())
    }
}

/// A [`RemoteCache`] in a folder several machines mount, e.g. over NFS.
///
/// It has the layout of a [`LocalCache`](crate::LocalCache) and writes the same way (a
/// temporary file beside the target, then a rename), so readers on other machines never see
/// half a file. Files are made readable by everyone who can read the folder.
#[derive(Debug, Clone)]
pub struct SharedFolder {
    layout: Layout,
}

impl SharedFolder {
    /// Opens (creating if needed) the shared folder `dir`; a relative path is made absolute.
    pub fn open(dir: impl AsRef<Utf8Path>) -> Result<SharedFolder, crate::Error> {
        Ok(SharedFolder {
            layout: Layout::create(dir.as_ref())?,
        })
    }

    /// The folder, absolute.
    pub fn dir(&self) -> &Utf8Path {
        self.layout.root()
    }
}

impl RemoteCache for SharedFolder {
    fn lookup(&self, action: &ActionId) -> Result<Option<RemoteEntry>, RemoteError> {
        Ok(self.layout.read_action(action)?)
    }

    fn fetch(&self, output: &OutputId, size: u64, dest: &Utf8Path) -> Result<(), RemoteError> {
        let source = self.layout.output_path(output);
        let copied = std::fs::copy(&source, dest)
            .map_err(|e| RemoteError::new(format!("could not copy {source} to {dest}: {e}")))?;
        if copied != size {
            return Err(RemoteError::new(format!(
                "{source} holds {copied} bytes, not the {size} its entry says"
            )));
        }
        Ok(())
    }

    fn store(
        &self,
        action: &ActionId,
        entry: &RemoteEntry,
        body: &Utf8Path,
    ) -> Result<(), RemoteError> {
        // Always rewritten, so a damaged output in the folder is repaired by the next store.
        let mut temp = self.layout.temp_output()?;
        let copied = std::fs::File::open(body)
            .and_then(|mut file| std::io::copy(&mut file, temp.as_file_mut()))
            .map_err(|e| {
                RemoteError::new(format!("could not copy {body} into {}: {e}", self.dir()))
            })?;
        if copied != entry.size {
            return Err(RemoteError::new(format!(
                "{body} holds {copied} bytes, not the {} its entry says",
                entry.size
            )));
        }
        self.layout
            .persist(temp, &self.layout.output_path(&entry.output_id))?;
        self.layout.write_action(action, entry)?;
        Ok(())
    }
}
