//! The command record: every command a program runs, with how it ended. In a test binary of
//! its own, as the record is one per process and other tests' commands would interleave.

use build_core::process::{LoggedCommand, log_commands_to};
use camino::Utf8PathBuf;

#[test]
fn every_command_is_recorded_and_a_failure_shows_its_last_lines_once() {
    let dir = tempfile::tempdir().unwrap();
    let record = Utf8PathBuf::from_path_buf(dir.path().join("commands.log")).unwrap();
    log_commands_to(&record).unwrap();
    let failing = LoggedCommand::new("sh").args(["-c", "echo oops >&2; exit 3"]);
    let err = failing.read().unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.starts_with("`sh -c 'echo oops >&2; exit 3'` exited with status 3:\noops"),
        "{shown}"
    );
    assert_eq!(
        shown.matches("oops").count(),
        2,
        "the line and its output: {shown}"
    );
    let captured = LoggedCommand::new("true").output().unwrap();
    assert!(captured.status.success());
    let log = std::fs::read_to_string(&record).unwrap();
    assert!(
        log.contains("$ sh -c 'echo oops >&2; exit 3'\n  -> exited with status 3\n"),
        "{log}"
    );
    assert!(
        log.contains("$ true\n"),
        "a captured command is recorded too: {log}"
    );
}
