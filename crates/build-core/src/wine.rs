//! Windows binaries run here under Wine (Debian's `wine` and `wine64`), so a Windows build
//! shows its version and commit as every other build does.
//!
//! Wine runs them in a prefix of dockyard's own (a Windows folder tree and registry), made once
//! in the tools folder and shared by every later check; nothing of the user's `~/.wine` is
//! touched. Debian 12's Wine 8.0 lacks `bcryptprimitives.dll`, which Go's runtime (1.24 and
//! newer) loads at start for `ProcessPrng`, so its programs die before `main`; the prefix gets a
//! forwarder DLL of that name whose only export, `ProcessPrng`, is Wine's
//! `advapi32.SystemFunction036` (`RtlGenRandom`: the same contract, fill a buffer with random
//! bytes and return true).

use camino::{Utf8Path, Utf8PathBuf};

use crate::process::LoggedCommand;
use crate::progress::Progress;
use crate::toolchain::{Tool, ToolchainError};

/// The forwarder DLL's name, as Go's runtime asks for it.
const DLL: &str = "bcryptprimitives.dll";

/// `wine BINARY` in dockyard's prefix under `tools`, made first if it is not there yet.
pub fn command(
    tools: &Utf8Path,
    binary: &Utf8Path,
    progress: &dyn Progress,
) -> Result<LoggedCommand, ToolchainError> {
    let prefix = prefix(tools, progress)?;
    Ok(in_prefix(&prefix, "wine").arg(binary.as_str()))
}

/// `program` with Wine's environment for `prefix`: no debug chatter, and no offer to install
/// Mono or Gecko (a console program needs neither).
fn in_prefix(prefix: &Utf8Path, program: &str) -> LoggedCommand {
    LoggedCommand::new(program)
        .env("WINEPREFIX", prefix.as_str())
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        // Console programs only: never a window, whatever display the user has.
        .env("DISPLAY", "")
}

/// dockyard's Wine prefix under `tools`: made by `wineboot` and given the forwarder DLL once,
/// under a lock, so concurrent checks find it whole.
pub fn prefix(tools: &Utf8Path, progress: &dyn Progress) -> Result<Utf8PathBuf, ToolchainError> {
    if which::which("wine").is_err() {
        return Err(Tool::Wine.missing("`wine` is not on PATH"));
    }
    let prefix = tools.join("wine");
    let dll = prefix.join("drive_c/windows/system32").join(DLL);
    let bytes = forwarder_dll();
    if std::fs::read(&dll).is_ok_and(|found| found == bytes) {
        return Ok(prefix);
    }
    let failed = |problem: String| Tool::Wine.missing(problem);
    let _lock = crate::lock::FileLock::acquire(
        &tools.join("wine.lock"),
        "dockyard's Wine prefix",
        progress,
    )
    .map_err(|e| failed(format!("cannot lock {tools}/wine.lock: {e}")))?;
    if std::fs::read(&dll).is_ok_and(|found| found == bytes) {
        return Ok(prefix);
    }
    progress.status("Preparing", &format!("a Wine prefix in {prefix}"));
    std::fs::create_dir_all(&prefix).map_err(|e| failed(format!("cannot create {prefix}: {e}")))?;
    in_prefix(&prefix, "wine")
        .args(["wineboot", "--init"])
        .output()
        .map_err(|e| {
            failed(format!(
                "wineboot failed: {}",
                crate::error::with_causes(&e)
            ))
        })?;
    // wineboot returns before the prefix is written; the server's exit says it is.
    in_prefix(&prefix, "wineserver")
        .arg("--wait")
        .output()
        .map_err(|e| {
            failed(format!(
                "wineserver failed: {}",
                crate::error::with_causes(&e)
            ))
        })?;
    crate::fs::write_atomic(&dll, &bytes).map_err(|e| {
        failed(format!(
            "cannot write {dll}: {e}; is the Wine prefix complete?"
        ))
    })?;
    Ok(prefix)
}

/// A PE32+ DLL named `bcryptprimitives.dll` with no code: one read-only section holding an
/// export directory whose one export, `ProcessPrng`, forwards to
/// `advapi32.SystemFunction036`. The same bytes every time.
pub(crate) fn forwarder_dll() -> Vec<u8> {
    const RVA: u32 = 0x1000;
    const FILE_ALIGNMENT: usize = 0x200;
    let (name, function, target) = (
        b"bcryptprimitives.dll\0".as_slice(),
        b"ProcessPrng\0".as_slice(),
        b"advapi32.SystemFunction036\0".as_slice(),
    );
    // The export directory (40 bytes), then its three one-entry tables, then the strings.
    let at_functions = 40u32;
    let at_names = at_functions + 4;
    let at_ordinals = at_names + 4;
    let at_name = at_ordinals + 2;
    let at_function = at_name + name.len() as u32;
    let at_target = at_function + function.len() as u32;
    let size = at_target + target.len() as u32;
    let mut section = Vec::new();
    let words = |out: &mut Vec<u8>, values: &[u32]| {
        values
            .iter()
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes()))
    };
    // Characteristics, TimeDateStamp, Major/MinorVersion (two u16 as one zero word), Name.
    words(&mut section, &[0, 0, 0, RVA + at_name]);
    // Base, NumberOfFunctions, NumberOfNames and the three tables' addresses.
    words(
        &mut section,
        &[
            1,
            1,
            1,
            RVA + at_functions,
            RVA + at_names,
            RVA + at_ordinals,
        ],
    );
    // An export whose address lies inside the export directory is a forwarder: its string.
    words(&mut section, &[RVA + at_target, RVA + at_function]);
    section.extend_from_slice(&0u16.to_le_bytes());
    for s in [name, function, target] {
        section.extend_from_slice(s);
    }
    debug_assert_eq!(section.len(), size as usize);
    section.resize(FILE_ALIGNMENT, 0);

    let mut out = Vec::new();
    // The DOS header: its magic and, at 0x3c, where the PE header is.
    out.extend_from_slice(b"MZ");
    out.resize(0x3c, 0);
    out.extend_from_slice(&0x40u32.to_le_bytes());
    out.extend_from_slice(b"PE\0\0");
    // COFF: x86-64, one section, no time, no symbols, a PE32+ optional header (240 bytes);
    // an executable image, large-address aware, a DLL.
    let u16s = |out: &mut Vec<u8>, values: &[u16]| {
        values
            .iter()
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes()))
    };
    u16s(&mut out, &[0x8664, 1]);
    words(&mut out, &[0, 0, 0]);
    u16s(&mut out, &[240, 0x2022]);
    // The optional header: PE32+, linker 14.0, no code, one page of data, no entry point.
    u16s(&mut out, &[0x20b]);
    out.extend_from_slice(&[14, 0]);
    words(&mut out, &[0, FILE_ALIGNMENT as u32, 0, 0, RVA]);
    out.extend_from_slice(&0x1_8000_0000u64.to_le_bytes());
    words(&mut out, &[0x1000, FILE_ALIGNMENT as u32]);
    // OS 6.0, image 0.0, subsystem 6.0, Win32VersionValue.
    u16s(&mut out, &[6, 0, 0, 0, 6, 0]);
    words(&mut out, &[0]);
    // SizeOfImage, SizeOfHeaders, CheckSum; console subsystem; relocatable, NX.
    words(&mut out, &[2 * 0x1000, FILE_ALIGNMENT as u32, 0]);
    u16s(&mut out, &[3, 0x0160]);
    for reserve in [0x10_0000u64, 0x1000, 0x10_0000, 0x1000] {
        out.extend_from_slice(&reserve.to_le_bytes());
    }
    // LoaderFlags, 16 data directories: the export table, the rest empty.
    words(&mut out, &[0, 16, RVA, size]);
    out.resize(out.len() + 15 * 8, 0);
    // The section header: `.rdata`, initialized read-only data.
    out.extend_from_slice(b".rdata\0\0");
    words(
        &mut out,
        &[
            size,
            RVA,
            FILE_ALIGNMENT as u32,
            FILE_ALIGNMENT as u32,
            0,
            0,
        ],
    );
    u16s(&mut out, &[0, 0]);
    words(&mut out, &[0x4000_0040]);
    out.resize(FILE_ALIGNMENT, 0);
    out.extend_from_slice(&section);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_forwarder_exports_process_prng_as_rtl_gen_random() {
        let bytes = super::forwarder_dll();
        let pe = goblin::pe::PE::parse(&bytes).unwrap();
        assert!(pe.is_lib && pe.is_64);
        assert_eq!(pe.name, Some("bcryptprimitives.dll"));
        let export = &pe.exports[0];
        assert_eq!(export.name, Some("ProcessPrng"));
        let reexport = format!("{:?}", export.reexport);
        assert!(
            reexport.contains("advapi32") && reexport.contains("SystemFunction036"),
            "{reexport}"
        );
    }
}
