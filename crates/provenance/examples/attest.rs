//! Writes the provenance of an already published bundle folder beside it, as `bundle
//! --provenance` does after publishing: `attest BUNDLE [PRIVATE-KEY]`.

use camino::Utf8PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).map(Utf8PathBuf::from);
    let bundle = args.next().ok_or("usage: attest BUNDLE [PRIVATE-KEY]")?;
    let signing = provenance::Signing::from(args.next());
    let made = provenance::attest(&bundle, None, &signing)?;
    println!("Attested {made}");
    Ok(())
}
