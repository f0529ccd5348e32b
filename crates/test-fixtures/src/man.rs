//! What the fixture trees make their man pages with, in the shapes of upstream's: a vendored
//! stand-in for go-md2man (the Markdown's `% TITLE` line becomes the page's `.TH`, the rest its
//! text), and, for the CLI, a `manpages`-tagged generator writing a page per command dated from
//! `SOURCE_DATE_EPOCH`, as cobra does.

/// The module line `vendor/modules.txt` has for it.
const MODULES_TXT: &str = "# github.com/cpuguy83/go-md2man/v2 v2.0.7\n## explicit; go 1.12\ngithub.com/cpuguy83/go-md2man/v2\n";

/// The requirement a module file makes of it.
pub(crate) const REQUIRE: &str = "\nrequire github.com/cpuguy83/go-md2man/v2 v2.0.7\n";

const MD2MAN: &str = r#"// A stand-in for go-md2man: -in Markdown, -out a page.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	in := flag.String("in", "", "Markdown")
	out := flag.String("out", "", "page")
	flag.Parse()
	md, err := os.ReadFile(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	title, body, _ := strings.Cut(string(md), "\n")
	page := ".TH " + strings.TrimPrefix(title, "% ") + "\n" + body
	if err := os.WriteFile(*out, []byte(page), 0644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
"#;

/// go-md2man vendored under `prefix` (`` for the CLI's tree, `man/` for moby's module).
pub(crate) fn md2man(prefix: &str) -> Vec<(String, String)> {
    vec![
        (
            format!("{prefix}vendor/modules.txt"),
            MODULES_TXT.to_owned(),
        ),
        (
            format!("{prefix}vendor/github.com/cpuguy83/go-md2man/v2/md2man.go"),
            MD2MAN.to_owned(),
        ),
    ]
}

/// The CLI's `man/`: the generator, its sources folder, two Markdown pages (one over a page
/// the generator writes) and a README that is no page.
pub(crate) const CLI_MAN: &[(&str, &str)] = &[
    (
        "man/generate.go",
        r#"// This file is intended for use with "go run"; it isn't really part of the package.

//go:build manpages

package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

func main() {
	source := flag.String("source", "man/src/", "Manpage source folder")
	target := flag.String("target", "/tmp", "Target path for generated man pages")
	flag.Parse()
	if _, err := os.Stat(filepath.Join(*source, "version.md")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	epoch, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "SOURCE_DATE_EPOCH:", err)
		os.Exit(1)
	}
	date := time.Unix(epoch, 0).Format("Jan 2006")
	for _, cmd := range []string{"docker", "docker-version"} {
		page := fmt.Sprintf(".TH \"DOCKER\" \"1\" %q \"Docker Community\"\n.SH NAME\n%s - written by the generator\n", date, cmd)
		if err := os.WriteFile(filepath.Join(*target, cmd+".1"), []byte(page), 0644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
"#,
    ),
    (
        "man/src/version.md",
        "Show the Docker version information\n",
    ),
    (
        "man/docker.1.md",
        "% \"DOCKER\" \"1\" \"JUNE 2014\" \"Docker Community\"\n.SH NAME\ndocker - from docker.1.md\n",
    ),
    (
        "man/Dockerfile.5.md",
        "% \"DOCKERFILE\" \"5\" \"MAY 2014\" \"Docker Community\"\n.SH NAME\nDockerfile - from Dockerfile.5.md\n",
    ),
    ("man/README.md", "How the man pages are made.\n"),
];

/// moby's `man/`: a module of its own with go-md2man vendored, and `dockerd.8.md`.
pub(crate) fn moby_man() -> Vec<(String, String)> {
    let mut files = md2man("man/");
    files.extend([
        (
            "man/go.mod".to_owned(),
            format!("module github.com/docker/docker/man\n\ngo 1.19\n{REQUIRE}"),
        ),
        (
            "man/dockerd.8.md".to_owned(),
            "% \"DOCKERD\" \"8\" \"SEPTEMBER 2015\" \"Docker Community\"\n.SH NAME\ndockerd - from dockerd.8.md\n".to_owned(),
        ),
        ("man/README.md".to_owned(), "dockerd's page.\n".to_owned()),
    ]);
    files
}
