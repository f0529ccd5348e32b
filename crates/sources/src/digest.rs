//! SHA-256 of files and streams, hex-encoded as `sha256sum` prints it.

use std::io::{self, Read};

use camino::Utf8Path;
use sha2::{Digest, Sha256};

/// Feeds everything `reader` yields into `hasher`, 64 KiB at a time.
pub fn update_from_reader(hasher: &mut Sha256, mut reader: impl Read) -> io::Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                hasher.update(&buf[..n]);
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The SHA-256 of a file's bytes, as lowercase hex.
pub fn sha256_file(path: &Utf8Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    update_from_reader(&mut hasher, std::fs::File::open(path)?)?;
    Ok(hex(&hasher.finalize()))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
