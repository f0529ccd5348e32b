//! Running tools: one place that starts a subprocess, records what it ran and keeps its output.

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
#[derive(Debug, thiserror::Error)]
#[error("`{command}` {failure}{}{}",
    cwd.as_ref().map(|d| format!(" (in {d})")).unwrap_or_default(),
    log.as_ref().map(|l| format!(" (full log: {l})")).unwrap_or_default())]
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

/// How a command failed.
#[derive(Debug)]
pub enum Failure {
    /// It never ran: the program is missing, not executable, or its log could not be opened.
    NotStarted(std::io::Error),
    /// It ran and ended unsuccessfully.
    Exited(ExitStatus),
}

impl Failure {
    /// The exit code, when it exited with one (not when a signal ended it or it never ran).
    pub fn code(&self) -> Option<i32> {
        match self {
            Failure::Exited(status) => status.code(),
            Failure::NotStarted(_) => None,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::os::unix::process::ExitStatusExt;
        match self {
            Failure::NotStarted(e) => write!(f, "could not start: {e}"),
            Failure::Exited(status) => match (status.code(), status.signal()) {
                (Some(code), _) => write!(f, "exited with status {code}"),
                (None, Some(signal)) => write!(f, "was killed by signal {signal}"),
                (None, None) => f.write_str("failed"),
            },
        }
    }
}

/// A command started in the background ([`LoggedCommand::spawn_logged`]): wait for it, poll
/// it, or read its pids to signal it.
pub type Running = duct::Handle;

/// How many lines of a failed command's output are shown to a person.
pub const TAIL_LINES: usize = 25;

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

    /// Sets an environment variable for the command.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> LoggedCommand {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The value it sets `key` to, if it sets it.
    pub fn env_value(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The command line as a person would type it, credentials redacted.
    pub fn display(&self) -> String {
        let mut s = shell_word(&self.program);
        for a in &self.args {
            s.push(' ');
            s.push_str(&shell_word(a));
        }
        redact(&s)
    }

    fn expression(&self) -> duct::Expression {
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
        let fail = |failure: Failure, tail: String| CommandError {
            command: self.display(),
            cwd: self.cwd.clone(),
            failure,
            log: Some(log.to_owned()),
            tail,
        };
        let mut header = String::new();
        let _ = writeln!(header, "$ {}", self.display());
        if let Some(dir) = &self.cwd {
            let _ = writeln!(header, "  cwd: {dir}");
        }
        for (k, v) in &self.env {
            let _ = writeln!(header, "  env: {k}={}", redact(v));
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut f| f.write_all(header.as_bytes()).map(|()| f))
            .map_err(|e| {
                fail(
                    Failure::NotStarted(std::io::Error::new(
                        e.kind(),
                        format!("cannot open its log: {e}"),
                    )),
                    String::new(),
                )
            })?;
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
        let output = expression
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .map_err(|e| CommandError {
                command: self.display(),
                cwd: self.cwd.clone(),
                failure: Failure::NotStarted(e),
                log: None,
                tail: String::new(),
            })?;
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
        let fail = |e: std::io::Error| CommandError {
            command: self.display(),
            cwd: self.cwd.clone(),
            failure: Failure::NotStarted(e),
            log: Some(log.to_owned()),
            tail: String::new(),
        };
        let file = std::fs::File::create(log).map_err(fail)?;
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
            .map_err(fail)
    }

    /// Starts a daemon that outlives dockyard: a session of its own (no terminal signal reaches
    /// it, and it is not killed with dockyard), output appended to `log`. Returns its pid.
    pub fn spawn_daemon(&self, log: &Utf8Path) -> Result<u32, CommandError> {
        let fail = |e: std::io::Error| CommandError {
            command: self.display(),
            cwd: self.cwd.clone(),
            failure: Failure::NotStarted(e),
            log: Some(log.to_owned()),
            tail: String::new(),
        };
        let mut header = format!("$ {}\n", self.display());
        for (k, v) in &self.env {
            let _ = writeln!(header, "  env: {k}={}", redact(v));
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(log)
            .and_then(|mut f| f.write_all(header.as_bytes()).map(|()| f))
            .map_err(fail)?;
        let handle = self
            .expression()
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
            .map_err(fail)?;
        let pid = handle.pids().first().copied().unwrap_or(0);
        // Reap it when it exits, so a stopped daemon leaves no zombie behind while we run on.
        std::thread::spawn(move || handle.wait().map(|_| ()));
        Ok(pid)
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
            .map_err(|e| CommandError {
                command: self.display(),
                cwd: self.cwd.clone(),
                failure: Failure::NotStarted(e),
                log: None,
                tail: String::new(),
            })
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
            return Err(CommandError {
                command: self.display(),
                cwd: self.cwd.clone(),
                failure: Failure::Exited(out.status),
                log: None,
                tail: redact(&tail(&out.stderr, TAIL_LINES)),
            });
        }
        Ok(out.stdout.trim().to_owned())
    }
}

/// What a finished command printed, and how it ended.
#[derive(Clone, Debug)]
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

fn shell_word(s: &str) -> String {
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
