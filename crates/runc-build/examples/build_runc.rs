//! Builds runc with nothing but this crate: what another Rust tool would do.
//!
//! ```text
//! cargo run -p runc-build --example build_runc -- PINS_LOCK MIRROR OUT_DIR
//! ```
//! `MIRROR` is a local clone of opencontainers/runc that has the pinned commit.

use std::sync::Arc;

use runc_build::{BuildOptions, Mirror, Pins, Progress, SourceCache, SourceRequest, Upstream};

struct Print;

impl Progress for Print {
    fn status(&self, verb: &str, message: &str) {
        eprintln!("{verb:>12} {message}");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [pins, mirror, out] = args.as_slice() else {
        return Err("usage: build_runc PINS_LOCK MIRROR OUT_DIR".into());
    };
    let out = camino::Utf8PathBuf::from(out);
    let pin = Pins::load(pins.as_str().into())?
        .get(Upstream::Runc)
        .cloned()
        .ok_or("pins.lock has no [runc] table")?;
    let cache = SourceCache::new(out.join("cache"))?;
    let request = SourceRequest::Pinned {
        mirror: Some(Mirror::Path(mirror.into())),
        pin: pin.clone(),
    };
    let source = cache.prepare(&request, &Print)?;
    let mut opts = BuildOptions::new(source, pin.version, out.join("bin"), out.join("work"));
    opts.progress = Arc::new(Print);
    for artifact in runc_build::build(&opts)?.binaries {
        println!(
            "{} {} {} ({} bytes)",
            artifact.name, artifact.sha256, artifact.link, artifact.size
        );
    }
    Ok(())
}
