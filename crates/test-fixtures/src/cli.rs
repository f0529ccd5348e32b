//! The docker/cli-shaped fixture: `vendor.mod` and no `go.mod`, the version variables, the
//! files its Windows resources are made of, and its man pages' sources and programs.

use crate::winres::{EXE_MANIFEST, ICON};

pub(crate) const CLI: &[(&str, &str)] = &[
    // docker/cli has vendor.mod and no go.mod (requiring go-md2man, vendored: `cli_files`).
    ("vendor.mod", "module github.com/docker/cli\n\ngo 1.24.0\n"),
    ("vendor.sum", ""),
    // docker-ce's deb carries it as its documentation.
    ("README.md", "# The fixture docker CLI\n"),
    // Windows resources (scripts/build/mkversioninfo): an icon, a manifest, and the package
    // the object goes in, which the client imports on Windows.
    ("cmd/docker/internal/assets/docker.ico", ICON),
    (
        "cmd/docker/internal/assets/docker.exe.manifest",
        EXE_MANIFEST,
    ),
    (
        "cmd/docker/winresources/winresources.go",
        "// Package winresources holds docker.exe's Windows resources.\npackage winresources\n",
    ),
    (
        "cmd/docker/docker_windows.go",
        "package main\n\nimport _ \"github.com/docker/cli/cmd/docker/winresources\"\n",
    ),
    (
        "cli/version/version.go",
        "package version\n\nvar (\n\tPlatformName = \"\"\n\tVersion      = \"unknown-version\"\n\tGitCommit    = \"unknown-commit\"\n\tBuildTime    = \"unknown-buildtime\"\n)\n",
    ),
    (
        "cmd/docker/docker.go",
        r#"package main

import (
	"fmt"

	"github.com/docker/cli/cli/version"
)

func main() {
	fmt.Printf("Docker version %s, build %s\n", version.Version, version.GitCommit)
	fmt.Printf("built %s\n", version.BuildTime)
}
"#,
    ),
];

/// The CLI fixture: [`CLI`], with its man pages' sources and programs (go-md2man vendored and
/// required by `vendor.mod`).
pub(crate) fn cli_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = (CLI.iter().chain(crate::man::CLI_MAN))
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    files[0].1.push_str(crate::man::REQUIRE);
    files.extend(crate::man::md2man(""));
    files
}
