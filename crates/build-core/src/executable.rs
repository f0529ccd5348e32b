//! What an executable is, whichever system it is for: ELF (Linux), PE (Windows) or Mach-O
//! (macOS), read by goblin. The format and machine are checked against the target after every
//! build; how it links is recorded; and a Go string variable's value can be read from a Mach-O's
//! symbol table, which is how stamps are checked in a binary nothing here can run.

use std::fmt;

use camino::Utf8Path;

use crate::elf::{ElfError, LinkKind};

/// An executable's format and the machine it is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutableFormat {
    /// ELF, with its `e_machine` and class.
    Elf {
        /// `e_machine` (62 for x86-64).
        machine: u16,
        /// A 64-bit ELF.
        elf64: bool,
    },
    /// PE/COFF, with the COFF header's machine (`0x8664` for x86-64).
    Pe {
        /// `IMAGE_FILE_MACHINE_*`.
        machine: u16,
    },
    /// Mach-O, with its CPU type (`0x01000007` for x86-64, `0x0100000c` for arm64).
    MachO {
        /// `cputype`.
        cputype: u32,
    },
}

impl fmt::Display for ExecutableFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ExecutableFormat::Elf { machine, elf64 } => write!(
                f,
                "an ELF for machine {machine} ({}-bit)",
                if elf64 { 64 } else { 32 }
            ),
            ExecutableFormat::Pe { machine } => {
                let name = match machine {
                    0x8664 => " (x86-64)",
                    0xaa64 => " (arm64)",
                    0x14c => " (i386)",
                    _ => "",
                };
                write!(f, "a PE for machine {machine:#06x}{name}")
            }
            ExecutableFormat::MachO { cputype } => {
                let name = match cputype {
                    0x0100_0007 => " (x86-64)",
                    0x0100_000c => " (arm64)",
                    _ => "",
                };
                write!(f, "a Mach-O for CPU type {cputype:#x}{name}")
            }
        }
    }
}

/// What an executable is, and how it links.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Executable {
    /// Its format and machine.
    pub format: ExecutableFormat,
    /// How it links: an ELF as [`crate::elf`] reads it; a PE or Mach-O that needs only its
    /// system's own libraries is [`LinkKind::System`].
    pub link: LinkKind,
}

/// Windows' own libraries a PE may import and still be what Docker calls static: Go's runtime
/// imports kernel32.dll and loads the rest itself from the system folder.
const WINDOWS_LIBRARIES: &[&str] = &[
    "kernel32.dll",
    "ntdll.dll",
    "advapi32.dll",
    "ws2_32.dll",
    "winmm.dll",
];

/// Where macOS keeps its own libraries and frameworks (Go links libSystem, CoreFoundation and
/// Security from there without cgo).
const MACOS_LIBRARIES: &[&str] = &["/usr/lib/", "/System/Library/"];

/// Reads `path`'s headers: format, machine and the libraries it needs.
pub fn inspect(path: &Utf8Path) -> Result<Executable, ElfError> {
    let bytes = map(path)?;
    let err = |message: String| ElfError {
        path: path.to_string(),
        message,
    };
    match bytes.get(..4) {
        Some(b"\x7fELF") => {
            let facts = crate::elf::inspect(path)?;
            Ok(Executable {
                format: ExecutableFormat::Elf {
                    machine: facts.machine,
                    elf64: facts.elf64,
                },
                link: facts.link,
            })
        }
        Some([b'M', b'Z', _, _]) => {
            let pe = goblin::pe::PE::parse(&bytes).map_err(|e| err(e.to_string()))?;
            let libraries: Vec<String> = pe.libraries.iter().map(|l| (*l).to_owned()).collect();
            let system = libraries
                .iter()
                .all(|l| WINDOWS_LIBRARIES.contains(&l.to_ascii_lowercase().as_str()));
            Ok(Executable {
                format: ExecutableFormat::Pe {
                    machine: pe.header.coff_header.machine,
                },
                link: linked(system, libraries),
            })
        }
        Some([0xcf, 0xfa, 0xed, 0xfe] | [0xce, 0xfa, 0xed, 0xfe]) => {
            let macho = goblin::mach::MachO::parse(&bytes, 0).map_err(|e| err(e.to_string()))?;
            // goblin lists the binary itself first, as "self".
            let libraries: Vec<String> = macho
                .libs
                .iter()
                .filter(|l| **l != "self")
                .map(|l| (*l).to_owned())
                .collect();
            let system = libraries
                .iter()
                .all(|l| MACOS_LIBRARIES.iter().any(|p| l.starts_with(p)));
            Ok(Executable {
                format: ExecutableFormat::MachO {
                    cputype: macho.header.cputype,
                },
                link: linked(system, libraries),
            })
        }
        _ => Err(err("not an ELF, PE or Mach-O file".into())),
    }
}

fn linked(system: bool, libraries: Vec<String>) -> LinkKind {
    match system {
        true => LinkKind::System { libraries },
        false => LinkKind::Dynamic {
            interpreter: None,
            needed: libraries,
        },
    }
}

/// The values of the Go string variables `variables` (full import paths, as `-X` names them)
/// in a Mach-O executable, read from its symbol table and data: each `None` when the binary
/// has no such symbol. A stamp that did not take leaves the variable at its source value, so
/// reading it back is as good as running the binary to print it.
pub fn go_strings(path: &Utf8Path, variables: &[&str]) -> Result<Vec<Option<String>>, ElfError> {
    let bytes = map(path)?;
    let err = |message: String| ElfError {
        path: path.to_string(),
        message,
    };
    let macho = match goblin::mach::Mach::parse(&bytes).map_err(|e| err(e.to_string()))? {
        goblin::mach::Mach::Binary(macho) if macho.is_64 && macho.little_endian => macho,
        _ => {
            return Err(err(
                "only a 64-bit little-endian Mach-O's strings are read".into()
            ));
        }
    };
    let offset_of = |address: u64, len: u64| {
        macho.segments.iter().find_map(|s| {
            let within = address >= s.vmaddr && address + len <= s.vmaddr + s.filesize;
            within.then(|| (s.fileoff + address - s.vmaddr) as usize)
        })
    };
    let mut found: Vec<Option<String>> = vec![None; variables.len()];
    for symbol in macho.symbols() {
        let (name, nlist) = symbol.map_err(|e| err(e.to_string()))?;
        // Mach-O's C convention prefixes an underscore; Go's own symbols may lack it.
        let name = name.strip_prefix('_').unwrap_or(name);
        let Some(i) = variables.iter().position(|v| *v == name) else {
            continue;
        };
        // A Go string is its data's address and its length, one 64-bit word each.
        let header = offset_of(nlist.n_value, 16)
            .and_then(|at| bytes.get(at..at + 16))
            .ok_or_else(|| err(format!("{name} is outside the file's segments")))?;
        let word = |w: &[u8]| u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
        let (data, len) = (word(&header[..8]), word(&header[8..]));
        let value = match len {
            0 => String::new(),
            _ => offset_of(data, len)
                .and_then(|at| bytes.get(at..at + len as usize))
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .ok_or_else(|| err(format!("{name}'s value is outside the file's segments")))?,
        };
        found[i] = Some(value);
    }
    Ok(found)
}

fn map(path: &Utf8Path) -> Result<memmap2::Mmap, ElfError> {
    let err = |e: std::io::Error| ElfError {
        path: path.to_string(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(err)?;
    // SAFETY: read-only, and the files read are dockyard's own outputs, which nothing rewrites
    // in place (see `elf::inspect`).
    unsafe { memmap2::Mmap::map(&file) }.map_err(err)
}
