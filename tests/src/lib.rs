//! dockyard's cross-crate tests live in `tests/tests/`: tidy tests that hold the architecture
//! in place (dependency directions, one process module, messages that do not know the CLI) and
//! snapshots of every `--help` and the main error messages. This library is empty.
