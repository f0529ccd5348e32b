//! Docker release numbers: parsing, the tag naming of each line, and the supported range.

use std::fmt;

use build_core::upstream::DOCKER_RELEASE_LINES;

/// The supported releases as a person reads them: `27.x to 29.x`.
pub fn supported_range() -> String {
    let line = |l: Option<&&str>| l.map_or(String::new(), |l| format!("{l}x"));
    format!(
        "{} to {}",
        line(DOCKER_RELEASE_LINES.first()),
        line(DOCKER_RELEASE_LINES.last())
    )
}

/// The Docker majors dockyard builds ([`DOCKER_RELEASE_LINES`], which the recipes build).
pub fn supported_majors() -> Vec<u32> {
    DOCKER_RELEASE_LINES
        .iter()
        .filter_map(|line| line.trim_end_matches('.').parse().ok())
        .collect()
}

/// A Docker release number such as `29.7.2` or `29.7.0-rc.1`. Ordered as releases are:
/// `29.7.0-rc.1` < `29.7.0` < `29.7.1`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DockerVersion {
    /// `29`.
    pub major: u32,
    /// `7`.
    pub minor: u32,
    /// `2`.
    pub patch: u32,
    /// `rc.1` for a release candidate. Sorts before its release, as in semver.
    pub pre: Option<String>,
}

impl DockerVersion {
    /// Parses `29.7.2`, `v29.7.2` or `29.7.0-rc.1`.
    pub fn parse(s: &str) -> Option<DockerVersion> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let (core, pre) = match s.split_once('-') {
            Some((core, pre)) => (core, Some(pre.to_owned())),
            None => (s, None),
        };
        let mut parts = core.split('.').map(|p| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u32>().ok())
                .flatten()
        });
        let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
        if parts.next().is_some() || pre.as_deref().is_some_and(|p| p.is_empty()) {
            return None;
        }
        Some(DockerVersion {
            major,
            minor,
            patch,
            pre,
        })
    }

    /// moby's tag for this release: `docker-vN` from 29.0.0 (moby's Go module took the `vN`
    /// tags), `vN` before.
    pub fn moby_tag(&self) -> String {
        if self.major >= 29 {
            format!("docker-v{self}")
        } else {
            format!("v{self}")
        }
    }

    /// The release a moby tag names, if it is a release tag (not `api/v1.52.0`, `client/…`).
    pub fn from_moby_tag(tag: &str) -> Option<DockerVersion> {
        if let Some(v) = tag.strip_prefix("docker-v") {
            return DockerVersion::parse(v).filter(|v| v.major >= 29);
        }
        // From 29 on, `vN` tags are Go module versions of moby/moby/v2, not releases.
        DockerVersion::parse(tag.strip_prefix('v')?).filter(|v| v.major < 29 && v.major >= 17)
    }

    /// The cli's tag: always `vN`.
    pub fn cli_tag(&self) -> String {
        format!("v{self}")
    }

    /// Whether this is a release candidate (or other pre-release).
    pub fn is_pre(&self) -> bool {
        self.pre.is_some()
    }

    /// Ordering key where a pre-release sorts before its release.
    fn key(&self) -> (u32, u32, u32, bool, Option<&str>) {
        (
            self.major,
            self.minor,
            self.patch,
            self.pre.is_none(),
            self.pre.as_deref(),
        )
    }
}

impl Ord for DockerVersion {
    fn cmp(&self, other: &DockerVersion) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for DockerVersion {
    fn partial_cmp(&self, other: &DockerVersion) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for DockerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

/// Up to `n` releases on each side of `wanted` among `known`, nearest first, for "did you mean".
pub fn nearest(wanted: &DockerVersion, known: &[DockerVersion], n: usize) -> Vec<DockerVersion> {
    let mut sorted: Vec<&DockerVersion> = known.iter().collect();
    sorted.sort();
    let split = sorted.partition_point(|v| *v < wanted);
    let below = sorted[..split].iter().rev().take(n);
    let above = sorted[split..].iter().take(n);
    let mut out: Vec<DockerVersion> = below.chain(above).map(|v| (*v).clone()).collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> DockerVersion {
        DockerVersion::parse(s).unwrap()
    }

    #[test]
    fn tags_follow_each_line_s_naming() {
        assert_eq!(v("29.7.2").moby_tag(), "docker-v29.7.2");
        assert_eq!(v("28.5.2").moby_tag(), "v28.5.2");
        assert_eq!(v("29.7.0-rc.1").moby_tag(), "docker-v29.7.0-rc.1");
        assert_eq!(v("28.5.2").cli_tag(), "v28.5.2");
        assert_eq!(
            DockerVersion::from_moby_tag("docker-v29.7.2"),
            Some(v("29.7.2"))
        );
        assert_eq!(DockerVersion::from_moby_tag("v28.5.2"), Some(v("28.5.2")));
        assert_eq!(DockerVersion::from_moby_tag("v2.0.0-beta.1"), None);
        assert_eq!(DockerVersion::from_moby_tag("api/v1.52.0"), None);
        assert_eq!(DockerVersion::from_moby_tag("v29.7.2"), None);
    }

    #[test]
    fn releases_order_as_releases_do_a_candidate_before_its_release() {
        let mut versions = vec![v("29.7.1"), v("29.7.0"), v("29.7.0-rc.2"), v("29.7.0-rc.1")];
        versions.sort();
        assert_eq!(
            versions,
            [v("29.7.0-rc.1"), v("29.7.0-rc.2"), v("29.7.0"), v("29.7.1")]
        );
        assert!(v("29.7.0") > v("29.7.0-rc.1"));
        assert_eq!(
            [v("28.5.2"), v("29.7.0-rc.1"), v("29.7.0")].iter().max(),
            Some(&v("29.7.0"))
        );
    }

    #[test]
    fn parsing_refuses_what_is_not_a_release() {
        for bad in ["29.7", "29.7.2.1", "x.7.2", "29.7.2-", "", "29..2"] {
            assert_eq!(DockerVersion::parse(bad), None, "{bad}");
        }
        assert!(v("29.7.0-rc.1").is_pre());
    }

    #[test]
    fn nearest_lists_neighbours_in_order() {
        let known: Vec<_> = ["28.5.1", "28.5.2", "29.7.0-rc.1", "29.7.0", "29.7.2"]
            .into_iter()
            .map(v)
            .collect();
        let near: Vec<String> = nearest(&v("29.7.1"), &known, 2)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(near, ["29.7.0-rc.1", "29.7.0", "29.7.2"]);
    }
}
