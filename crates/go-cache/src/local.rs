//! The local tier: a folder on this machine whose output files the go command reads.

use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};

use crate::journal::Journal;
use crate::layout::{Layout, hash_bytes, hash_file, now_unix_nanos, utf8};
use crate::{ActionId, Entry, Error, OutputId, RemoteCache, RemoteError, hex};

/// Go's build cache in a folder on this machine.
///
/// Outputs are stored by output ID (`o/<hex>`) and actions by action ID (`a/<hex>`, naming
/// the output ID, its size and when it was stored). Every file is written to a temporary
/// file beside it and renamed into place, so a killed process never leaves half a file.
/// The paths the go command is given ([`LocalCache::output_path`]) are absolute.
#[derive(Debug, Clone)]
pub struct LocalCache {
    layout: Layout,
    /// Where [`crate::serve`] notes the actions it answered or stored, if anywhere.
    journal: Option<Arc<Journal>>,
}

/// How bringing an entry in from the remote tier ended.
#[derive(Debug)]
pub(crate) enum Imported {
    /// The output is in place locally and the action entry written.
    Hit(Entry),
    /// The remote tier failed to deliver the output.
    Remote(RemoteError),
    /// The remote tier delivered bytes whose size or SHA-256 is not the entry's.
    Rejected(RemoteError),
}

impl LocalCache {
    /// Opens (creating if needed) the cache folder `dir`; a relative path is made absolute.
    pub fn open(dir: impl AsRef<Utf8Path>) -> Result<LocalCache, Error> {
        Ok(LocalCache {
            layout: Layout::create(dir.as_ref())?,
            journal: None,
        })
    }

    /// This cache, with every action [`crate::serve`] answers a hit for or stores appended
    /// to the file `journal` (one action ID in hex a line; created if missing, appended to
    /// if not, so several sessions can share one). [`crate::read_journal`] reads it back: the
    /// actions a build used, what [`crate::pack`] packs. A line that cannot be written is
    /// lost (an entry missing from a pack), never an error to Go.
    pub fn with_journal(mut self, journal: impl AsRef<Utf8Path>) -> Result<LocalCache, Error> {
        self.journal = Some(Arc::new(Journal::append_to(journal.as_ref())?));
        Ok(self)
    }

    /// Notes `action` in the journal, if there is one.
    pub(crate) fn note(&self, action: &ActionId) {
        if let Some(journal) = &self.journal {
            journal.note(action);
        }
    }

    /// The folder layout, for packs.
    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The cache folder, absolute.
    pub fn dir(&self) -> &Utf8Path {
        self.layout.root()
    }

    /// The file that holds (or would hold) the output `output`.
    pub fn output_path(&self, output: &OutputId) -> Utf8PathBuf {
        self.layout.output_path(output)
    }

    /// The entry for `action`, if there is one whose output file is in place with its size.
    ///
    /// A missing, malformed or dangling entry is `Ok(None)`: a miss, not an error.
    pub fn get(&self, action: &ActionId) -> Result<Option<Entry>, Error> {
        Ok(self
            .layout
            .read_action(action)?
            .filter(|entry| self.layout.has_output(entry)))
    }

    /// Stores `body` as the output of `action`, after checking that its SHA-256 is `output`.
    ///
    /// Returns the entry written; the output is then at [`LocalCache::output_path`].
    pub fn put(&self, action: &ActionId, output: &OutputId, body: &[u8]) -> Result<Entry, Error> {
        let actual = hash_bytes(body);
        if actual != *output {
            return Err(Error::OutputMismatch {
                expected: hex(output),
                actual: hex(&actual),
            });
        }
        let entry = Entry {
            output_id: *output,
            size: body.len() as u64,
            time_unix_nanos: now_unix_nanos(),
        };
        // Equal output IDs mean equal bytes: an output already in place is kept.
        if !self.layout.has_output(&entry) {
            self.layout.write_output(output, body)?;
        }
        self.layout.write_action(action, &entry)?;
        Ok(entry)
    }

    /// Brings `entry`, found for `action` in `remote`, into this folder.
    ///
    /// The output is fetched into a temporary file and only renamed into place once its size
    /// and SHA-256 are the entry's. Errors are about this folder; the remote tier's failures
    /// are outcomes.
    pub(crate) fn import(
        &self,
        action: &ActionId,
        entry: &Entry,
        remote: &dyn RemoteCache,
    ) -> Result<Imported, Error> {
        if !self.layout.has_output(entry) {
            let temp = self.layout.temp_output()?;
            let temp_path = utf8(temp.path());
            if let Err(e) = remote.fetch(&entry.output_id, entry.size, &temp_path) {
                return Ok(Imported::Remote(e));
            }
            // Bytes that cannot be read back count as wrong bytes.
            match hash_file(&temp_path) {
                Ok((actual, size)) if actual == entry.output_id && size == entry.size => {}
                Ok((actual, size)) => {
                    return Ok(Imported::Rejected(RemoteError::new(format!(
                        "output {} ({} bytes) arrived as {size} bytes hashing to {}",
                        hex(&entry.output_id),
                        entry.size,
                        hex(&actual)
                    ))));
                }
                Err(e) => {
                    return Ok(Imported::Rejected(RemoteError::new(format!(
                        "output {} arrived unreadable: {}",
                        hex(&entry.output_id),
                        e.with_cause()
                    ))));
                }
            }
            self.layout
                .persist(temp, &self.layout.output_path(&entry.output_id))?;
        }
        self.layout.write_action(action, entry)?;
        Ok(Imported::Hit(*entry))
    }
}
