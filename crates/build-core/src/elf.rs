//! How a binary links, read from its ELF headers.

use std::fmt;

use camino::Utf8Path;
use serde::{Deserialize, Serialize};

/// The link kind of an executable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LinkKind {
    /// No interpreter and no shared libraries: runs on any Linux of its architecture.
    Static,
    /// Static and position-independent (`-static-pie`): still no interpreter, no libraries.
    StaticPie,
    /// A Windows or macOS executable that needs only its system's own libraries (kernel32.dll;
    /// libSystem and macOS's frameworks): where nothing links fully statically, what Docker's
    /// static downloads are.
    System {
        /// The libraries it names (DLLs, dylibs and frameworks).
        libraries: Vec<String>,
    },
    /// Needs a dynamic loader and shared libraries.
    Dynamic {
        /// `PT_INTERP`, e.g. `/lib64/ld-linux-x86-64.so.2`.
        interpreter: Option<String>,
        /// `DT_NEEDED` entries, e.g. `libseccomp.so.2`.
        needed: Vec<String>,
    },
}

impl LinkKind {
    /// Static in the sense that matters: no interpreter, no needed libraries (on Windows and
    /// macOS, none but the system's own).
    pub fn is_static(&self) -> bool {
        !matches!(self, LinkKind::Dynamic { .. })
    }
}

impl fmt::Display for LinkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkKind::Static => f.write_str("statically linked"),
            LinkKind::StaticPie => f.write_str("static-pie linked"),
            LinkKind::System { libraries } => {
                write!(
                    f,
                    "linked to its system's libraries only ({})",
                    libraries.join(" ")
                )
            }
            LinkKind::Dynamic {
                interpreter,
                needed,
            } => {
                f.write_str("dynamically linked")?;
                if let Some(i) = interpreter {
                    write!(f, ", interpreter {i}")?;
                }
                if !needed.is_empty() {
                    write!(f, ", needs {}", needed.join(" "))?;
                }
                Ok(())
            }
        }
    }
}

/// A file that is not an executable dockyard can read (ELF, PE or Mach-O).
#[derive(Debug, thiserror::Error)]
#[error("{path} is not a readable executable: {message}")]
#[non_exhaustive]
pub struct ElfError {
    /// The file.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// What an executable is for, and how it links.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ElfFacts {
    /// How it links.
    pub link: LinkKind,
    /// `e_machine` (62 for x86-64, 183 for AArch64…).
    pub machine: u16,
    /// A 64-bit ELF.
    pub elf64: bool,
    /// It keeps a symbol table (`.symtab`): not stripped.
    pub symbols: bool,
}

/// Reads `path`'s program and dynamic headers.
pub fn link_kind(path: &Utf8Path) -> Result<LinkKind, ElfError> {
    inspect(path).map(|facts| facts.link)
}

/// Reads `path`'s ELF header, program and dynamic headers.
pub fn inspect(path: &Utf8Path) -> Result<ElfFacts, ElfError> {
    let err = |message: String| ElfError {
        path: path.to_string(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    // Mapped, not read: the headers and tables parsed are a few pages of a 100 MB binary, and
    // reading it whole put all of it in memory for every binary checked (a pulled dockerd too).
    // SAFETY: the map is read-only and dropped before returning; the files inspected are
    // dockyard's own outputs, which nothing rewrites in place.
    let bytes = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| err(e.to_string()))?;
    let elf = goblin::elf::Elf::parse(&bytes).map_err(|e| err(e.to_string()))?;
    Ok(ElfFacts {
        link: link_of(&elf),
        machine: elf.header.e_machine,
        elf64: elf.is_64,
        symbols: elf
            .section_headers
            .iter()
            .any(|h| h.sh_type == goblin::elf::section_header::SHT_SYMTAB),
    })
}

fn link_of(elf: &goblin::elf::Elf<'_>) -> LinkKind {
    let interpreter = elf.interpreter.map(str::to_owned);
    let needed: Vec<String> = elf.libraries.iter().map(|s| (*s).to_owned()).collect();
    if interpreter.is_some() || !needed.is_empty() {
        LinkKind::Dynamic {
            interpreter,
            needed,
        }
    } else if elf.header.e_type == goblin::elf::header::ET_DYN {
        LinkKind::StaticPie
    } else {
        LinkKind::Static
    }
}
