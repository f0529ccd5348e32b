//! runc-shaped fixtures: 1.4 (VERSION embedded, cgo, libseccomp through pkg-config) and 1.2
//! (`main.version` stamped by the Makefile).

pub(crate) const RUNC: &[(&str, &str)] = &[
    (
        "go.mod",
        "module github.com/opencontainers/runc\n\ngo 1.24.0\n\nrequire example.com/fixture/units v0.3.1\n",
    ),
    // One vendored module, so the binary's build information lists a dependency (as runc's
    // 23 do), built from vendor/ with -mod=vendor like the real ones.
    (
        "vendor/modules.txt",
        "# example.com/fixture/units v0.3.1\n## explicit; go 1.22\nexample.com/fixture/units\n",
    ),
    (
        "vendor/example.com/fixture/units/units.go",
        "// Package units names sizes.\npackage units\n\n// Name is a size's name.\nfunc Name() string { return \"bytes\" }\n",
    ),
    ("VERSION", "1.4.3\n"),
    (
        "main.go",
        r#"// A cgo call, as runc's nsenter has: the static build must link C statically.
package main

// int fixture_answer(void) { return 42; }
import "C"

import (
	_ "embed"
	"fmt"
	"os"
	"strings"

	"example.com/fixture/units"
)

//go:embed VERSION
var version string

// A suffix for the version (runc 1.3 and later): -X main.extraVersion=….
var extraVersion = ""

var gitCommit = ""

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Println("runc version", strings.TrimSpace(version)+extraVersion)
		if gitCommit != "" {
			fmt.Println("commit:", gitCommit)
		}
		fmt.Println("cgo:", int(C.fixture_answer()))
		fmt.Println("libseccomp:", seccompVersion())
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "features" && seccompVersion() != "none" {
		fmt.Printf(`{"linux":{"seccomp":{"enabled":true}},"annotations":{"io.github.seccomp.libseccomp.version":%q}}`+"\n", seccompVersion())
		return
	}
	fmt.Println("fixture runc")
}

// As runc's many imports: the module is in the binary's build information.
var _ = units.Name
"#,
    ),
    (
        "seccomp.go",
        r#"//go:build seccomp

// As runc's libcontainer/seccomp: libseccomp through pkg-config, statically in static builds.
package main

// #cgo pkg-config: libseccomp
// #include <seccomp.h>
import "C"

import "fmt"

func seccompVersion() string {
	v := C.seccomp_version()
	return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.micro)
}
"#,
    ),
    (
        "noseccomp.go",
        "//go:build !seccomp\n\npackage main\n\nfunc seccompVersion() string { return \"none\" }\n",
    ),
];

pub(crate) const RUNC_12: &[(&str, &str)] = &[
    (
        "go.mod",
        "module github.com/opencontainers/runc\n\ngo 1.22\n",
    ),
    ("VERSION", "1.2.4\n"),
    (
        "main.go",
        r#"// runc 1.2: the Makefile stamps main.version from VERSION; nothing embeds it.
package main

// int fixture_answer(void) { return 42; }
import "C"

import (
	"fmt"
	"os"
)

var version = "unknown"

var gitCommit = ""

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Println("runc version", version)
		if gitCommit != "" {
			fmt.Println("commit:", gitCommit)
		}
		fmt.Println("cgo:", int(C.fixture_answer()))
		return
	}
	fmt.Println("fixture runc")
}
"#,
    ),
];

/// A runc-shaped integration suite (written over a runc fixture tree): `helpers.bash` finds
/// `$RUNC` and the images as runc's does, `get-images.sh` wants `testdata/busybox-ARCH.tar.xz`,
/// the Makefile names one test helper, and three files pass, fail and skip.
pub const RUNC_SUITE: &[(&str, &str)] = &[
    (
        "Makefile",
        "TESTBINDIR := tests/cmd/_bin\nTESTBINS := hello\n",
    ),
    (
        "tests/cmd/hello/main.go",
        "// A test helper, as runc's tests/cmd programs are.\npackage main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from a test helper\") }\n",
    ),
    (
        "tests/integration/get-images.sh",
        r#"#!/bin/bash
set -e -u -o pipefail
INTEGRATION_ROOT=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
TESTDATA="${INTEGRATION_ROOT}/testdata"
arch=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
rootfs="$TESTDATA/busybox-${arch}.tar.xz"
[ -e "$rootfs" ] || { echo "would download $rootfs" >&2; exit 1; }
echo "BUSYBOX_IMAGE=$rootfs"
"#,
    ),
    (
        "tests/integration/helpers.bash",
        r#"#!/bin/bash
INTEGRATION_ROOT=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
IMAGES=$("${INTEGRATION_ROOT}"/get-images.sh)
eval "$IMAGES"
: "${RUNC:="${INTEGRATION_ROOT}/../../runc"}"
TESTBINDIR=${INTEGRATION_ROOT}/../cmd/_bin
"#,
    ),
    ("tests/integration/testdata/.gitignore", "*.tar.xz\n"),
    (
        "tests/integration/pass.bats",
        r#"#!/usr/bin/env bats
load helpers

@test "runc --version names runc" {
	run "$RUNC" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "runc version"* ]]
}

@test "the busybox image and the helper are in place on a terminal" {
	tar -tJf "$BUSYBOX_IMAGE" ./bin/busybox
	[ "$("$TESTBINDIR/hello")" = "hello from a test helper" ]
	[ -t 0 ]
}
"#,
    ),
    (
        "tests/integration/fail.bats",
        r#"#!/usr/bin/env bats
load helpers

@test "runc features succeeds" {
	"$RUNC" features
}

@test "true is true" {
	true
}
"#,
    ),
    (
        "tests/integration/skip.bats",
        r#"#!/usr/bin/env bats
load helpers

@test "waits until interrupted, when asked" {
	[ -n "${FIXTURE_WAIT:-}" ] || skip "only when asked"
	sleep 120
}
"#,
    ),
];
