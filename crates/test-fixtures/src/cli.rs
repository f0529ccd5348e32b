//! The docker/cli-shaped fixture: `vendor.mod` and no `go.mod`, the version variables, and
//! the files its Windows resources are made of.

use crate::winres::{EXE_MANIFEST, ICON};

pub(crate) const CLI: &[(&str, &str)] = &[
    // docker/cli has vendor.mod and no go.mod.
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
