//! The one shape of a failed file system step, which every crate's error wraps, and the one
//! way an error becomes text. An error's message is its own context; what caused it is its
//! [`source`](Error::source), never repeated in the message, so walking the causes once (as
//! [`with_causes`] does) shows each of them once.

use std::any::Any;
use std::error::Error;
use std::io;

use camino::Utf8PathBuf;

/// A file system step that failed: what was being done, to which path, and the operating
/// system's error. Its message is the step alone (`writing the tgz /out/runc.tgz`); the I/O
/// error is its source, where advice for a full disk finds it.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}")]
#[non_exhaustive]
pub struct IoError {
    /// What was being done (`writing the tgz`).
    pub action: &'static str,
    /// The file or folder it was done to.
    pub path: Utf8PathBuf,
    /// The operating system's error.
    #[source]
    pub source: io::Error,
}

impl IoError {
    /// For `map_err`: the error of doing `action` (`creating`) on `path`, once it fails.
    pub fn new(
        action: &'static str,
        path: impl Into<Utf8PathBuf>,
    ) -> impl FnOnce(io::Error) -> IoError {
        let path = path.into();
        move |source| IoError {
            action,
            path,
            source,
        }
    }
}

/// `e`'s message and each of its causes', joined by `: `: an error kept as text (a status
/// line, a refusal among several) reads as the command line shows it.
pub fn with_causes(e: &(dyn Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// What a panicking thread said (`panic!`'s message), from the payload its join returns.
pub fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(message) => (*message).to_owned(),
            Err(_) => "it panicked without a message".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_io_error_shows_its_step_and_gives_its_cause_once() {
        let e = IoError::new("writing", "/out/x")(io::Error::from_raw_os_error(libc::ENOSPC));
        assert_eq!(e.to_string(), "writing /out/x");
        assert_eq!(
            with_causes(&e),
            "writing /out/x: No space left on device (os error 28)"
        );
        let cause = e.source().and_then(|c| c.downcast_ref::<io::Error>());
        assert_eq!(cause.and_then(io::Error::raw_os_error), Some(libc::ENOSPC));
    }

    #[test]
    fn a_panic_s_message_is_kept_whether_static_or_formatted() {
        let joined = |f: fn()| std::thread::spawn(f).join().unwrap_err();
        assert_eq!(panic_message(joined(|| panic!("static"))), "static");
        assert_eq!(
            panic_message(joined(|| panic!("formatted {}", 1))),
            "formatted 1"
        );
        assert_eq!(
            panic_message(joined(|| std::panic::panic_any(7))),
            "it panicked without a message"
        );
    }
}
