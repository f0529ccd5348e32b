//! The one error type of the crate.

use std::path::PathBuf;

use camino::Utf8PathBuf;

/// What went wrong, with the facts needed to act on it. The message is what was being done;
/// the operating system's or the parser's error is the [`source`](std::error::Error::source),
/// never repeated in the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file system operation on a cache folder failed.
    #[error("could not {what} {path}")]
    Io {
        /// What was being done, e.g. "create the folder" or "rename into place".
        what: &'static str,
        /// The file or folder it was done to.
        path: Utf8PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// A cache folder's path is not UTF-8 once made absolute.
    #[error("the cache folder {} is not a UTF-8 path", path.display())]
    NotUtf8 {
        /// The offending path.
        path: PathBuf,
    },

    /// A body's SHA-256 is not the output ID it was stored under.
    #[error("the body hashes to {actual}, not to its output ID {expected}")]
    OutputMismatch {
        /// The output ID the caller gave, in hex.
        expected: String,
        /// The SHA-256 of the bytes, in hex.
        actual: String,
    },

    /// The go command's request stream is not the JSON the protocol describes.
    #[error("could not read a request from the go command")]
    ReadRequest(#[source] serde_json::Error),

    /// A `put` request announced a body that did not follow it.
    #[error("request {id} announced a {size}-byte body, but no body followed it")]
    MissingBody {
        /// The request's ID.
        id: i64,
        /// The body size it announced.
        size: i64,
    },

    /// A body arrived where a request object was expected.
    #[error("a body arrived where a request was expected (after request {after})")]
    UnexpectedBody {
        /// The ID of the last request read before it, or 0 if none was.
        after: i64,
    },

    /// A pack was refused where it broke its format or its limits.
    #[error("refused the pack: {why}")]
    Pack {
        /// What was wrong, and where.
        why: String,
    },

    /// A pack could not be read or written.
    #[error("could not stream the pack")]
    PackStream(#[source] std::io::Error),

    /// A response could not be written to the go command.
    #[error("could not write the response to request {id}")]
    WriteResponse {
        /// The ID of the request being answered (0 for the capabilities message).
        id: i64,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Error {
    /// The message and its cause, as one line: for the go command, which is sent text.
    pub fn with_cause(&self) -> String {
        match std::error::Error::source(self) {
            Some(cause) => format!("{self}: {cause}"),
            None => self.to_string(),
        }
    }

    /// An [`Error::Io`] for `what` on `path`.
    pub(crate) fn io(
        what: &'static str,
        path: impl Into<Utf8PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            what,
            path: path.into(),
            source,
        }
    }
}
