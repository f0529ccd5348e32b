//! The journal: which actions a build used, noted by [`crate::serve`] as it answers, so a
//! pack can hold exactly them.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Write as _};

use camino::Utf8Path;

use crate::layout::parse_hex;
use crate::{ActionId, Error, hex};

/// A file open for appending action IDs, one hex line each.
#[derive(Debug)]
pub(crate) struct Journal {
    file: File,
}

impl Journal {
    /// Opens `path` for appending, creating it if missing.
    pub(crate) fn append_to(path: &Utf8Path) -> Result<Journal, Error> {
        let file = File::options()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io("open the journal", path, e))?;
        Ok(Journal { file })
    }

    /// Appends `action`: one write of one whole line, so sessions sharing the file (each
    /// opened for appending) never interleave within a line.
    pub(crate) fn note(&self, action: &ActionId) {
        let mut line = hex(action);
        line.push('\n');
        // A lost line is an entry missing from a pack: a miss later, never a wrong build.
        let _ = (&self.file).write_all(line.as_bytes());
    }
}

/// The action IDs noted in the journal at `path`, each once; a line that is not 64 hex
/// digits is skipped. A missing journal is an empty set: nothing was noted.
pub fn read_journal(path: impl AsRef<Utf8Path>) -> Result<BTreeSet<ActionId>, Error> {
    let path = path.as_ref();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(Error::io("read the journal", path, e)),
    };
    Ok(text.lines().filter_map(parse_hex).collect())
}
