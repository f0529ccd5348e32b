//! A complete `GOCACHEPROG` program: `go_cache_prog LOCAL_DIR [SHARED_DIR]`.
//!
//! Keeps Go's build cache in `LOCAL_DIR`, backed by the shared folder `SHARED_DIR` when it is
//! given. The go command starts it and speaks to it over stdin and stdout:
//!
//! ```text
//! GOCACHEPROG="/path/to/go_cache_prog /var/cache/go /mnt/team/go-cache" go build ./...
//! ```
//!
//! If `DOCKYARD_GO_CACHE_SUMMARY` names a file, the session's [`go_cache::Summary`] is written
//! there as JSON when the go command closes the cache; if `DOCKYARD_GO_CACHE_JOURNAL` names
//! one, the actions answered or stored are appended to it ([`LocalCache::with_journal`]). The
//! crate's tests drive Go through it.

use std::process::ExitCode;

use go_cache::{LocalCache, RemoteCache, SharedFolder, Summary, serve};

fn main() -> ExitCode {
    match run() {
        Ok(_) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("go_cache_prog: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<Summary, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (local, shared) = match args.as_slice() {
        [local] => (local, None),
        [local, shared] => (local, Some(shared)),
        _ => return Err("usage: go_cache_prog LOCAL_DIR [SHARED_DIR]".to_owned()),
    };
    let mut local = LocalCache::open(local).map_err(|e| e.to_string())?;
    if let Some(journal) = std::env::var_os("DOCKYARD_GO_CACHE_JOURNAL") {
        let journal = journal.to_str().ok_or("the journal's path is not UTF-8")?;
        local = local.with_journal(journal).map_err(|e| e.to_string())?;
    }
    let shared = shared
        .map(SharedFolder::open)
        .transpose()
        .map_err(|e| e.to_string())?;
    let remote = shared.as_ref().map(|s| s as &dyn RemoteCache);
    let summary =
        serve(&local, remote, std::io::stdin(), std::io::stdout()).map_err(|e| e.to_string())?;
    if let Some(path) = std::env::var_os("DOCKYARD_GO_CACHE_SUMMARY") {
        let json = serde_json::to_vec_pretty(&summary).map_err(|e| e.to_string())?;
        std::fs::write(&path, json)
            .map_err(|e| format!("could not write {}: {e}", path.to_string_lossy()))?;
    }
    Ok(summary)
}
