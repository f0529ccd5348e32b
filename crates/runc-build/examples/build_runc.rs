//! Builds the bundle's runc with nothing but this crate: what another Rust tool would do. The
//! runc it makes has the SHA-256 of the runc in a static bundle built from the same pins.
//!
//! ```text
//! cargo run -p runc-build --example build_runc -- PINS_LOCK OUT_DIR [UPSTREAM=MIRROR]...
//! ```
//! Each `UPSTREAM=MIRROR` is a local clone that has the pinned commit (`runc=/srv/runc.git`);
//! upstreams without one are fetched from their pinned repository. Every pinned upstream is
//! read, because the bundle stamps all components with the newest commit time of the set.

use std::sync::Arc;

use runc_build::camino::Utf8PathBuf;
use runc_build::{Mirror, PinnedSet, Pins, Progress, SourceCache, Upstream};

struct Print;

impl Progress for Print {
    fn status(&self, verb: &str, message: &str) {
        eprintln!("{verb:>12} {message}");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [pins, out, mirrors @ ..] = args.as_slice() else {
        return Err("usage: build_runc PINS_LOCK OUT_DIR [UPSTREAM=MIRROR]...".into());
    };
    let out = Utf8PathBuf::from(out);
    let mut given = Vec::new();
    for arg in mirrors {
        let (upstream, mirror) = arg.split_once('=').ok_or("a mirror is UPSTREAM=MIRROR")?;
        given.push((upstream.parse::<Upstream>()?, Mirror::parse(mirror)?));
    }
    let pins = Pins::load(pins.as_str().into())?;
    let cache = SourceCache::new(out.join("cache"))?;
    let set = PinnedSet::prepare(&pins, &cache, &given, &Print)?;
    let mut opts = set.options(Upstream::Runc, out.join("bin"), out.join("work"))?;
    opts.progress = Arc::new(Print);
    for artifact in runc_build::build(&opts)?.binaries {
        println!(
            "{} {} {} ({} bytes)",
            artifact.name, artifact.sha256, artifact.link, artifact.size
        );
    }
    Ok(())
}
