//! Man pages: the pages a component's build generates, which no download holds and only
//! Docker's packages install (docker-ce-cli's section 1 and 5, docker-ce's `dockerd.8`).
//!
//! Their names depend on the release (one page per CLI command), so a component declares a
//! pattern instead of a list: the sections it writes and how many pages at most. Whatever
//! names a page (a build, a team cache's record, a bundle folder) is checked against it before
//! a file is touched: a plain name, `NAME.N` with a declared section, of bounded length.

/// The bundle folder holding the man pages, one folder per section (`man/man1/docker-run.1`),
/// as `MANPATH` wants them.
pub const MAN_FOLDER: &str = "man";

/// The most bytes one page may have (the CLI's largest, `docker-run.1`, is about 40 KiB).
pub const MAX_MAN_PAGE_BYTES: u64 = 1 << 20;

/// The longest page name accepted.
const MAX_NAME: usize = 128;

/// A component's man pages, as a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManPages {
    /// The sections it writes pages of (`1`, `5`, `8`).
    pub sections: &'static [u8],
    /// How many pages at most, every section together (a bound, well over upstream's count).
    pub max_pages: usize,
}

impl ManPages {
    /// Whether `name` is a page of this component: `NAME.N`, `N` one of its sections.
    pub fn accepts(&self, name: &str) -> bool {
        section_of(name).is_some_and(|s| self.sections.contains(&s))
    }
}

/// The section of a well-formed page name (`docker-run.1` → 1): letters, digits, `.`, `_`,
/// `-` and `+`, not starting with a dot, at most 128 bytes, ending in `.N` (`N` from 1 to 9).
/// Anything else, a path above all, is no page.
pub fn section_of(name: &str) -> Option<u8> {
    let (stem, section) = name.rsplit_once('.')?;
    let well_formed = !stem.is_empty()
        && name.len() <= MAX_NAME
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+'));
    match section.as_bytes() {
        [digit @ b'1'..=b'9'] if well_formed => Some(digit - b'0'),
        _ => None,
    }
}

/// A page's path in a bundle folder (`docker-run.1` → `man/man1/docker-run.1`); none for a
/// name that is no page.
pub fn man_page_path(name: &str) -> Option<String> {
    section_of(name).map(|section| format!("{MAN_FOLDER}/man{section}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_a_plain_name_with_a_section_the_component_declares() {
        let cli = ManPages {
            sections: &[1, 5],
            max_pages: 400,
        };
        assert!(cli.accepts("docker-run.1"));
        assert!(cli.accepts("Dockerfile.5"));
        assert!(cli.accepts("docker-container-ls.1"));
        assert!(!cli.accepts("dockerd.8"), "not a section of the CLI's");
        assert_eq!(
            man_page_path("dockerd.8").as_deref(),
            Some("man/man8/dockerd.8")
        );
        assert_eq!(
            man_page_path("docker-run.1").as_deref(),
            Some("man/man1/docker-run.1")
        );
    }

    #[test]
    fn paths_hidden_files_odd_sections_and_long_names_are_no_pages() {
        let long = format!("{}.1", "a".repeat(MAX_NAME));
        for name in [
            "../docker.1",
            "man1/docker.1",
            "/etc/passwd.1",
            ".hidden.1",
            ".1",
            "docker.0",
            "docker.10",
            "docker.1x",
            "docker",
            "docker run.1",
            "dockér.1",
            "",
            &long,
        ] {
            assert_eq!(section_of(name), None, "{name:?}");
            assert_eq!(man_page_path(name), None, "{name:?}");
        }
    }
}
