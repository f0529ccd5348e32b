//! A component's binaries and the Docker releases that ship each: most ship with every
//! release; a few only with some (Docker 27's `rootlesskit-docker-proxy`).

use std::fmt;

/// A release line, `MAJOR.MINOR` of a version (`27.0` for `27.0.3`, `1.7` for containerd's
/// `1.7.28`). A Docker release's line (moby's version's) decides which binaries it ships.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReleaseLine {
    /// `27`.
    pub major: u32,
    /// `0`.
    pub minor: u32,
}

impl ReleaseLine {
    /// The line `MAJOR.MINOR`.
    pub const fn new(major: u32, minor: u32) -> ReleaseLine {
        ReleaseLine { major, minor }
    }

    /// The line of a version `MAJOR.MINOR[.PATCH][-suffix]` (`27.0.3`, `29.0.0-rc.1`,
    /// `2.3.0+dirty`); `None` for anything else (`v27.0.3`, `27`, `27.x`).
    pub fn parse(version: &str) -> Option<ReleaseLine> {
        let numbers = version.split(['-', '+', '~']).next()?;
        let mut parts = numbers.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        match parts.next() {
            Some(patch) if patch.parse::<u32>().is_err() => None,
            _ if parts.next().is_some() => None,
            _ => Some(ReleaseLine { major, minor }),
        }
    }
}

impl fmt::Display for ReleaseLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// One binary of a component, by its installed name, and the Docker releases that ship it.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BinarySpec {
    /// The installed name (`rootlesskit`).
    pub name: &'static str,
    /// The first Docker release line that no longer ships it (`28.0`); `None`: every release
    /// ships it.
    pub dropped_in: Option<ReleaseLine>,
}

impl BinarySpec {
    /// A binary every Docker release ships.
    pub const fn new(name: &'static str) -> BinarySpec {
        BinarySpec {
            name,
            dropped_in: None,
        }
    }

    /// The same, shipped only by the Docker releases before `major.minor`.
    pub const fn dropped_in(mut self, major: u32, minor: u32) -> BinarySpec {
        self.dropped_in = Some(ReleaseLine::new(major, minor));
        self
    }

    /// Whether Docker `release` ships it.
    pub fn shipped_by(&self, release: ReleaseLine) -> bool {
        self.dropped_in.is_none_or(|dropped| release < dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_s_line_is_major_and_minor_with_an_optional_patch() {
        let line = ReleaseLine::parse;
        assert_eq!(line("27.0.3"), Some(ReleaseLine::new(27, 0)));
        assert_eq!(line("29.0.0-rc.1"), Some(ReleaseLine::new(29, 0)));
        assert_eq!(line("2.3.0+dirty"), Some(ReleaseLine::new(2, 3)));
        assert_eq!(line("29.7"), Some(ReleaseLine::new(29, 7)));
        for bad in [
            "",
            "v27.0.3",
            "27",
            "27.x",
            "27.",
            "1.4.3.5",
            "latest",
            "1.4.three",
        ] {
            assert_eq!(line(bad), None, "{bad:?}");
        }
        assert_eq!(ReleaseLine::new(27, 5).to_string(), "27.5");
    }

    #[test]
    fn a_dropped_binary_is_shipped_by_the_releases_before_its_line_only() {
        let proxy = BinarySpec::new("rootlesskit-docker-proxy").dropped_in(28, 0);
        let shipped = |major, minor| proxy.shipped_by(ReleaseLine::new(major, minor));
        assert!(shipped(27, 0) && shipped(27, 5));
        assert!(!shipped(28, 0) && !shipped(28, 5) && !shipped(29, 7));
        assert!(BinarySpec::new("rootlesskit").shipped_by(ReleaseLine::new(29, 7)));
    }
}
