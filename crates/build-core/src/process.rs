//! Running tools: one place that starts a subprocess, records what it ran and keeps its output;
//! how long what it started lives ([`Running`]), and how processes are stopped ([`stop`]); and
//! the process table ([`processes`]), the one scan of `/proc`.

mod running;
mod table;

pub use running::{Running, Signal, stop, wait_gone};
pub use table::{ProcessInfo, descendants, environment_value, processes, uptime};

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::process::ExitStatus;

use camino::{Utf8Path, Utf8PathBuf};

use crate::url::redact;

/// A command line with its working directory and environment changes, logged when run.
#[derive(Clone, Debug)]
pub struct LoggedCommand {
    program: String,
    args: Vec<String>,
    cwd: Option<Utf8PathBuf>,
    env: Vec<(String, String)>,
    input: Option<Vec<u8>>,
}

/// A command that could not start or did not succeed (cargo's `ProcessError`, for dockyard).
/// Shown with the last lines of its output: no caller adds them again. When it never ran, the
/// operating system's error is its [`source`](std::error::Error::source), not in its message.
#[derive(Debug)]
pub struct CommandError {
    /// The command line, credentials redacted.
    pub command: String,
    /// The folder it ran in, when not the caller's.
    pub cwd: Option<Utf8PathBuf>,
    /// How it failed.
    pub failure: Failure,
    /// The log file holding its whole output, if it was logged.
    pub log: Option<Utf8PathBuf>,
    /// The last lines of its output.
    pub tail: String,
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` {}", self.command, self.failure)?;
        if let Some(dir) = &self.cwd {
            write!(f, " (in {dir})")?;
        }
        if let Some(log) = &self.log {
            write!(f, " (full log: {log})")?;
        }
        if !self.tail.trim().is_empty() {
            write!(f, ":\n{}", self.tail.trim_end())?;
        }
        Ok(())
    }
}

impl std::error::Error for CommandError {
    /// The failure's cause: its words are in this message already.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.failure)
    }
}

/// How a command failed.
#[derive(Debug)]
pub enum Failure {
    /// It never ran: the program is missing or not executable (the error is the source).
    NotStarted(std::io::Error),
    /// It never ran: its log could not be opened or written (a full disk; the error is the
    /// source).
    NoLog(std::io::Error),
    /// It ran and ended unsuccessfully.
    Exited(ExitStatus),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::os::unix::process::ExitStatusExt;
        match self {
            Failure::NotStarted(_) => f.write_str("could not start"),
            Failure::NoLog(_) => f.write_str("could not start, as its log could not be written"),
            Failure::Exited(status) => match (status.code(), status.signal()) {
                (Some(code), _) => write!(f, "exited with status {code}"),
                (None, Some(signal)) => write!(f, "was killed by signal {signal}"),
                (None, None) => f.write_str("failed"),
            },
        }
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::NotStarted(e) | Failure::NoLog(e) => Some(e),
            Failure::Exited(_) => None,
        }
    }
}

/// Where every command run through [`LoggedCommand`] is also recorded (its line, folder,
/// environment changes, and how it failed when it did), when a program asks for it: the
/// commands whose output is captured rather than written to a log of their own show there too.
static COMMAND_LOG: std::sync::OnceLock<std::sync::Mutex<std::fs::File>> =
    std::sync::OnceLock::new();

/// Records every command this process runs in `path` (appended to, created `0600`; past
/// 16 MiB the older records move to `path.old`). Once per process; later calls are ignored.
pub fn log_commands_to(path: &Utf8Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::metadata(path).is_ok_and(|m| m.len() > 16 << 20) {
        std::fs::rename(path, format!("{path}.old"))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    let _ = COMMAND_LOG.set(std::sync::Mutex::new(file));
    Ok(())
}

fn to_command_log(text: &str) {
    if let Some(log) = COMMAND_LOG.get()
        && let Ok(mut file) = log.lock()
    {
        let _ = file.write_all(text.as_bytes());
    }
}

/// How many lines of a failed command's output are shown to a person.
pub(crate) const TAIL_LINES: usize = 25;

impl LoggedCommand {
    /// A command that runs `program`.
    pub fn new(program: impl Into<String>) -> LoggedCommand {
        LoggedCommand {
            program: program.into(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            input: None,
        }
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: impl Into<String>) -> LoggedCommand {
        self.args.push(arg.into());
        self
    }

    /// Adds arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> LoggedCommand {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Runs in `dir`.
    pub fn cwd(mut self, dir: impl Into<Utf8PathBuf>) -> LoggedCommand {
        self.cwd = Some(dir.into());
        self
    }

    /// Sets an environment variable for the command; setting one again replaces it (duct
    /// would let the first setting win).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> LoggedCommand {
        let (key, value) = (key.into(), value.into());
        match self.env.iter_mut().find(|(k, _)| *k == key) {
            Some(set) => set.1 = value,
            None => self.env.push((key, value)),
        }
        self
    }

    /// The value it sets `key` to, if it sets it (the unit tests' view of a command).
    #[cfg(test)]
    pub(crate) fn env_value(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The command line as a person would type it, credentials redacted.
    pub(crate) fn display(&self) -> String {
        let mut s = shell_word(&self.program);
        for a in &self.args {
            s.push(' ');
            s.push_str(&shell_word(a));
        }
        redact(&s)
    }

    /// The one way a `CommandError` is made: this command, how it failed, its log and the last
    /// lines of its output.
    fn error(&self, failure: Failure, log: Option<&Utf8Path>, tail: String) -> CommandError {
        to_command_log(&format!("  -> {}\n", crate::error::with_causes(&failure)));
        CommandError {
            command: self.display(),
            cwd: self.cwd.clone(),
            failure,
            log: log.map(Utf8Path::to_owned),
            tail,
        }
    }

    /// What a log records before the command's output: its line, folder and environment.
    fn header(&self) -> String {
        let mut header = String::new();
        let _ = writeln!(header, "$ {}", self.display());
        if let Some(dir) = &self.cwd {
            let _ = writeln!(header, "  cwd: {dir}");
        }
        for (k, v) in &self.env {
            let _ = writeln!(header, "  env: {k}={}", redact(v));
        }
        header
    }

    fn expression(&self) -> duct::Expression {
        to_command_log(&self.header());
        let mut e = duct::cmd(&self.program, &self.args);
        if let Some(dir) = &self.cwd {
            e = e.dir(dir.as_std_path());
        }
        for (k, v) in &self.env {
            e = e.env(k, v);
        }
        e
    }

    /// Runs to completion with stdout and stderr appended to `log` (after a header recording the
    /// command, working directory and environment changes).
    pub fn run_logged(&self, log: &Utf8Path) -> Result<(), CommandError> {
        let fail = |failure: Failure, tail: String| self.error(failure, Some(log), tail);
        let header = self.header();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut f| f.write_all(header.as_bytes()).map(|()| f))
            .map_err(|e| fail(Failure::NoLog(e), String::new()))?;
        let output = self
            .expression()
            .stderr_to_stdout()
            .stdout_file(file)
            .stdin_null()
            .unchecked()
            .before_spawn(|cmd| {
                use std::os::unix::process::CommandExt;
                // If dockyard is killed, its build dies with it instead of writing on into
                // folders the next run is cleaning up. A parent killed between fork and prctl
                // sends no signal: then the child is already orphaned and must not start.
                let parent = std::process::id() as libc::pid_t;
                // SAFETY: prctl, getppid and _exit are async-signal-safe, as pre_exec requires.
                unsafe {
                    cmd.pre_exec(move || {
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                        if libc::getppid() != parent {
                            libc::_exit(137);
                        }
                        Ok(())
                    });
                }
                Ok(())
            })
            .run()
            .map_err(|e| fail(Failure::NotStarted(e), String::new()))?;
        if output.status.success() {
            return Ok(());
        }
        Err(fail(
            Failure::Exited(output.status),
            tail_of_file(log, TAIL_LINES),
        ))
    }

    /// What [`LoggedCommand::output`] writes to its standard input (a password for
    /// `--password-stdin`): never displayed, logged or kept in an error.
    pub fn input(mut self, bytes: impl Into<Vec<u8>>) -> LoggedCommand {
        self.input = Some(bytes.into());
        self
    }

    /// Runs to completion and returns its exit code and output, whatever the code was.
    pub fn output(&self) -> Result<Captured, CommandError> {
        let expression = match &self.input {
            Some(bytes) => self.expression().stdin_bytes(bytes.clone()),
            None => self.expression().stdin_null(),
        };
        let expression = expression.stdout_capture().stderr_capture().unchecked();
        let output = while_text_busy(|| expression.run())
            .map_err(|e| self.error(Failure::NotStarted(e), None, String::new()))?;
        Ok(Captured {
            status: output.status,
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Starts the command in its own process group (a terminal's Ctrl-C does not reach it; the
    /// caller stops it in order) with stdout and stderr going to `log`.
    pub fn spawn_logged(&self, log: &Utf8Path) -> Result<Running, CommandError> {
        let fail = |e: std::io::Error| self.error(Failure::NotStarted(e), Some(log), String::new());
        let file = std::fs::File::create(log)
            .and_then(|mut f| f.write_all(self.header().as_bytes()).map(|()| f))
            .map_err(|e| self.error(Failure::NoLog(e), Some(log), String::new()))?;
        self.expression()
            .stderr_to_stdout()
            .stdout_file(file)
            .stdin_null()
            .unchecked()
            .before_spawn(|cmd| {
                use std::os::unix::process::CommandExt;
                cmd.process_group(0);
                Ok(())
            })
            .start()
            .map(Running::new)
            .map_err(fail)
    }

    /// Starts a daemon that outlives dockyard: a session of its own (no terminal signal reaches
    /// it, and it is not killed with dockyard), output appended to `log`. The caller
    /// [`Running::detach`]es it once it is ready; dropped before that, it is stopped.
    pub fn spawn_daemon(&self, log: &Utf8Path) -> Result<Running, CommandError> {
        let fail = |e: std::io::Error| self.error(Failure::NotStarted(e), Some(log), String::new());
        let header = self.header();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(log)
            .and_then(|mut f| f.write_all(header.as_bytes()).map(|()| f))
            .map_err(|e| self.error(Failure::NoLog(e), Some(log), String::new()))?;
        self.expression()
            .stderr_to_stdout()
            .stdout_file(file)
            .stdin_null()
            .unchecked()
            .before_spawn(|cmd| {
                use std::os::unix::process::CommandExt;
                // SAFETY: setsid is async-signal-safe, as pre_exec requires.
                unsafe {
                    cmd.pre_exec(|| {
                        libc::setsid();
                        Ok(())
                    });
                }
                Ok(())
            })
            .start()
            .map(Running::new)
            .map_err(fail)
    }

    /// Starts the command with this process's standard streams and every descriptor it has
    /// open without close-on-exec (a wrapper handing a parent's pipes and sockets on), dying
    /// with this process. The caller waits for it.
    pub fn spawn_inheriting(&self) -> Result<Running, CommandError> {
        self.expression()
            .unchecked()
            .before_spawn(|cmd| {
                use std::os::unix::process::CommandExt;
                // SAFETY: prctl is async-signal-safe, as pre_exec requires.
                unsafe {
                    cmd.pre_exec(|| {
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                        Ok(())
                    });
                }
                Ok(())
            })
            .start()
            .map(Running::new)
            .map_err(|e| self.error(Failure::NotStarted(e), None, String::new()))
    }

    /// This command run by another program (a debugger, a wrapper): `program ARGS… SELF
    /// [separator] SELF_ARGS…`, with the same working directory and environment.
    pub fn run_by<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        program: impl Into<String>,
        args: I,
        separator: Option<&str>,
    ) -> LoggedCommand {
        let mut all: Vec<String> = args.into_iter().map(Into::into).collect();
        all.push(self.program);
        all.extend(separator.map(str::to_owned));
        all.extend(self.args);
        LoggedCommand {
            program: program.into(),
            args: all,
            cwd: self.cwd,
            env: self.env,
            input: self.input,
        }
    }

    /// Runs to completion and returns its stdout (trimmed); stderr goes into the error.
    pub fn read(&self) -> Result<String, CommandError> {
        let out = self.output()?;
        if !out.status.success() {
            return Err(self.error(
                Failure::Exited(out.status),
                None,
                redact(&tail(&out.stderr, TAIL_LINES)),
            ));
        }
        Ok(out.stdout.trim().to_owned())
    }
}

/// What a finished command printed, and how it ended.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Captured {
    /// How it ended.
    pub status: ExitStatus,
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
}

/// `s` as one word of a POSIX shell: as it is when plain, else single-quoted.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The last `n` lines of a log file (empty if it cannot be read).
pub fn tail_of_file(path: &Utf8Path, n: usize) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    redact(&tail(&String::from_utf8_lossy(&bytes), n))
}

/// Runs `start` again while the program is "Text file busy": a binary just written (a pulled
/// component's, probed for its version) can still be open for writing in a child another
/// thread forked before the file was closed, until that child execs. Brief, so a few tries.
fn while_text_busy<T>(mut start: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    let mut tries = 0;
    loop {
        match start() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 8 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10 << tries.min(5)));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_set_again_takes_the_later_value() {
        // As an upstream entry point overrides the bench's defaults (compose's GOFLAGS).
        let cmd = LoggedCommand::new("sh")
            .args(["-c", "echo $GOFLAGS"])
            .env("GOFLAGS", "-mod=vendor")
            .env("GOFLAGS", "-mod=readonly");
        assert_eq!(cmd.env_value("GOFLAGS"), Some("-mod=readonly"));
        assert_eq!(cmd.read().unwrap().trim(), "-mod=readonly");
    }
}
