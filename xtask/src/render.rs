//! What people read: cargo-style status lines on stderr, a spinner while components build, and
//! errors as one message, with the command-line advice the libraries leave out.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use build_core::BuildError;
use build_core::progress::{Progress, Work};
use build_core::source::SourceError;
use build_core::url::redact;
use bundle::{BundleError, FormatError};
use engine::EngineError;
use indicatif::{ProgressBar, ProgressStyle};

/// Prints `   Fetching runc …` lines, the verb right-aligned and coloured on a terminal. On a
/// terminal, a spinner under them names what is building and for how long.
#[derive(Debug, Default)]
pub struct StatusLines {
    spinner: Mutex<Option<Spinner>>,
}

#[derive(Debug)]
struct Spinner {
    bar: ProgressBar,
    building: Vec<String>,
}

impl Progress for StatusLines {
    fn status(&self, verb: &str, message: &str) {
        let message = redact(message);
        let text = if std::io::stderr().is_terminal() {
            format!("\x1b[1;32m{verb:>12}\x1b[0m {message}")
        } else {
            format!("{verb:>12} {message}")
        };
        match self.spinner.lock().as_deref() {
            Ok(Some(spinner)) => spinner.bar.println(text),
            _ => drop(writeln!(std::io::stderr().lock(), "{text}")),
        }
    }

    fn work(&self, work: Work<'_>) {
        let Ok(mut guard) = self.spinner.lock() else {
            return;
        };
        match work {
            Work::Started(component) if std::io::stderr().is_terminal() => {
                let spinner = guard.get_or_insert_with(|| {
                    let bar = ProgressBar::new_spinner();
                    bar.set_style(
                        ProgressStyle::with_template("{spinner:.cyan} building {msg} ({elapsed})")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.enable_steady_tick(Duration::from_millis(120));
                    Spinner {
                        bar,
                        building: Vec::new(),
                    }
                });
                spinner.building.push(component.to_owned());
                spinner.bar.set_message(spinner.building.join(", "));
            }
            Work::Ended(component) => {
                if let Some(spinner) = guard.as_mut() {
                    spinner.building.retain(|c| *c != component);
                    spinner.bar.set_message(spinner.building.join(", "));
                    if spinner.building.is_empty() {
                        spinner.bar.finish_and_clear();
                        *guard = None;
                    }
                }
            }
            _ => {}
        }
    }
}

impl StatusLines {
    /// Clears the spinner (before an error is printed).
    pub fn finish(&self) {
        if let Ok(mut guard) = self.spinner.lock()
            && let Some(spinner) = guard.take()
        {
            spinner.bar.finish_and_clear();
        }
    }
}

/// An error and its causes as one message, credentials redacted, with the advice that names
/// a verb or flag where one is the way out. Each error's message is its context and never
/// repeats its cause, so the chain is walked once, every cause shown once.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = build_core::error::with_causes(e.as_ref());
    // A full disk some program only described (git, a compiler's output, apt) is advised on
    // as one the chain carries as an I/O error.
    let advice = e.chain().find_map(advice).or_else(|| {
        (text.to_lowercase().contains("no space left on device")).then(|| FULL_DISK.into())
    });
    if let Some(advice) = advice {
        text = format!("{text}; {advice}");
    }
    redact(&text)
}

/// Prints [`error_text`] as `error: …` on stderr.
pub fn print_error(e: &anyhow::Error) {
    let text = error_text(e);
    let mut err = std::io::stderr().lock();
    if std::io::stderr().is_terminal() {
        let _ = writeln!(err, "\x1b[1;31merror\x1b[0m: {text}");
    } else {
        let _ = writeln!(err, "error: {text}");
    }
}

const FULL_DISK: &str = "that file system is full: free space on it, or pass another --out (bundles) or --cache (sources and builds)";

/// What to type next, for the errors whose way out is a verb or a flag. A full disk is found
/// wherever it is in the chain: every I/O error is a cause ([`build_core::IoError`]'s, a
/// command's that could not start or write its log).
fn advice(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(io) = e.downcast_ref::<std::io::Error>()
        && io.raw_os_error() == Some(libc::ENOSPC)
    {
        return Some(FULL_DISK.into());
    }
    if let Some(e) = e.downcast_ref::<BundleError>() {
        return match e {
            BundleError::PinnedGo { .. } => {
                Some("or pass --go local to build with the go on PATH".into())
            }
            BundleError::MissingTools { .. } => Some("`cargo xtask doctor` checks them all".into()),
            BundleError::OutputDir { .. } => Some("pass another --out".into()),
            BundleError::ReplacesNoPin { upstream } => Some(format!("drop --source {upstream}=…")),
            BundleError::MissingPin { .. } => {
                Some("derive the set: `cargo xtask pins VERSION`".into())
            }
            BundleError::Format(e) => advice(e),
            BundleError::Source(e) => advice(e),
            BundleError::Build(e) => advice(e),
            BundleError::SharedCacheRequired { target, missing } => {
                if let Some(io) = e.refusal_io_error() {
                    return advice(io);
                }
                let jobs: Vec<String> = missing
                    .iter()
                    .map(|m| format!("--only {} --target {target}", m.component))
                    .collect();
                Some(format!(
                    "the job that makes each one runs `cargo xtask bundle {} --cache-to REF` \
                     (`cargo xtask plan` lists them); check that it ran and pushed",
                    jobs.join("`, `cargo xtask bundle ")
                ))
            }
            _ => None,
        };
    }
    if let Some(FormatError::NoBundle { .. }) = e.downcast_ref::<FormatError>() {
        return Some("run `cargo xtask bundle` first, or name a bundle folder".into());
    }
    if let Some(e) = e.downcast_ref::<SourceError>() {
        return match e {
            SourceError::NotCachedOffline { upstream, .. }
            | SourceError::TagsNotCachedOffline { upstream, .. } => Some(format!(
                "run once without --offline, or pass --mirror {upstream}=PATH"
            )),
            SourceError::WorkingTreeMissing { .. } | SourceError::NotAWorkingTree { .. } => {
                Some("check the path given to --source".into())
            }
            SourceError::MirrorNotARepository { .. } | SourceError::MirrorLacksCommit { .. } => {
                Some("check the path given to --mirror".into())
            }
            _ => None,
        };
    }
    if let Some(e) = e.downcast_ref::<release::ReleaseError>() {
        return match e {
            release::ReleaseError::PreRelease { .. } => Some("pass --pre to pin it".into()),
            release::ReleaseError::Source(e) => advice(e),
            _ => None,
        };
    }
    if let Some(e) = e.downcast_ref::<BuildError>() {
        return match e {
            BuildError::NotStatic { .. } => {
                Some("`cargo xtask doctor` checks the static libraries".into())
            }
            _ => None,
        };
    }
    if let Some(package_repo::RepoError::Passphrase { given: false, .. }) = e.downcast_ref() {
        return Some("pass --passphrase-file FILE".into());
    }
    if let Some(e) = e.downcast_ref::<EngineError>() {
        return match e {
            EngineError::NotRoot => Some("run it again with sudo -E".into()),
            EngineError::Bundle(e) => advice(e),
            EngineError::StateTooDeep { .. } => Some("pass a shorter --state DIR".into()),
            EngineError::NoEngine { .. } => Some("start one with `cargo xtask up`".into()),
            EngineError::SeveralEngines { .. } => Some("pass --state with one of them".into()),
            _ => None,
        };
    }
    None
}

/// A flag Ctrl-C sets, for work that stops in order (and cleans up) instead of dying.
pub(crate) fn interrupted_by_ctrl_c() -> anyhow::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    ctrlc::set_handler(move || set.store(true, Ordering::SeqCst))
        .map_err(|e| anyhow::anyhow!("cannot handle Ctrl-C: {e}"))?;
    Ok(flag)
}
