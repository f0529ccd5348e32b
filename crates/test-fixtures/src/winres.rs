//! What the fixtures' Windows resources are made of: an icon and an application manifest.

/// A 1×1 icon (an ICO holding one 32-bit BMP), every byte below 0x80 so it is text: what
/// the Windows resource compilers embed as the binaries' icon.
pub const ICON: &str = "\x00\x00\x01\x00\x01\x00\x01\x01\x00\x00\x01\x00\x20\x00\x30\x00\x00\x00\x16\x00\x00\x00\
\x28\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x01\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x20\x30\x7f\x00\x00\x00\x00";

/// An application manifest, as the CLI's `docker.exe.manifest` is one.
pub(crate) const EXE_MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <description>fixture docker</description>
</assembly>
"#;
