//! Builds runc as the bundle does, with nothing but `runc-build`, and prints each binary's name
//! and SHA-256.
//!
//! ```text
//! runc-alone PINS_LOCK CACHE OUT MIRROR
//! ```
//! `MIRROR` is a local clone holding runc's pinned commit; the cache is offline, so nothing is
//! downloaded.

use runc_build::{Mirror, PinnedSource, Pins, Silent, SourceCache, Upstream, Utf8PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [pins, cache, out, mirror] = args.as_slice() else {
        return Err("usage: runc-alone PINS_LOCK CACHE OUT MIRROR".into());
    };
    let pins = Pins::load(pins.as_str().into())?;
    let cache = SourceCache::new(cache.into())?.offline(true);
    let mirror = Mirror::parse(mirror)?;
    let runc = PinnedSource::prepare(&pins, Upstream::Runc, &cache, Some(mirror), &Silent)?;
    let out = Utf8PathBuf::from(out);
    let artifacts = runc_build::build(&runc.options(out.join("bin"), out.join("work")))?;
    for binary in artifacts.binaries {
        println!("{} {}", binary.name, binary.sha256);
    }
    Ok(())
}
