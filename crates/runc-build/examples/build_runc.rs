//! Builds the bundle's runc with nothing but this crate: what another Rust tool would do. The
//! runc it makes has the SHA-256 of the runc in a static bundle built from the same pins.
//!
//! ```text
//! cargo run -p runc-build --example build_runc -- PINS_LOCK OUT_DIR [MIRROR]
//! ```
//! `MIRROR` is a local clone that has the pinned commit (`/srv/runc.git`); without one, runc is
//! fetched from its pinned repository. No other upstream is read: each component's times are
//! its own commit's.

use std::sync::Arc;

use runc_build::camino::Utf8PathBuf;
use runc_build::{Mirror, PinnedSource, Pins, Progress, SourceCache, Upstream};

struct Print;

impl Progress for Print {
    fn status(&self, verb: &str, message: &str) {
        eprintln!("{verb:>12} {message}");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (pins, out, mirror) = match args.as_slice() {
        [pins, out] => (pins, out, None),
        [pins, out, mirror] => (pins, out, Some(Mirror::parse(mirror)?)),
        _ => return Err("usage: build_runc PINS_LOCK OUT_DIR [MIRROR]".into()),
    };
    let out = Utf8PathBuf::from(out);
    let pins = Pins::load(pins.as_str().into())?;
    let cache = SourceCache::new(out.join("cache"))?;
    let runc = PinnedSource::prepare(&pins, Upstream::Runc, &cache, mirror, &Print)?;
    let mut opts = runc.options(out.join("bin"), out.join("work"));
    opts.progress = Arc::new(Print);
    for artifact in runc_build::build(&opts)?.binaries {
        println!(
            "{} {} {} ({} bytes)",
            artifact.name, artifact.sha256, artifact.link, artifact.size
        );
    }
    Ok(())
}
