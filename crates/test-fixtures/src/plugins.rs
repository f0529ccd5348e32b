//! The CLI plugins' and rootlesskit's shapes: buildx (vendored, `version` package), compose
//! (its module path carries the major version, `internal.Version`, nothing vendored) and
//! rootlesskit (its version a constant in the source; its docker-proxy, which shows none). The
//! plugins answer `docker-cli-plugin-metadata` as Docker CLI plugins do.

/// A CLI plugin's metadata answer, as the CLI's plugin library prints it (indented JSON).
const METADATA: &str = r#"
func metadata(version string) string {
	out, _ := json.MarshalIndent(map[string]string{
		"SchemaVersion": "0.1.0",
		"Vendor":        "Docker Inc.",
		"Version":       version,
	}, "", "     ")
	return string(out)
}
"#;

pub(crate) fn buildx() -> Vec<(String, String)> {
    let main = format!(
        r#"package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/docker/buildx/version"
)

func main() {{
	if len(os.Args) > 1 && os.Args[1] == "docker-cli-plugin-metadata" {{
		fmt.Println(metadata(version.Version))
		return
	}}
	// `docker-buildx version`: package, version and revision, as buildx prints them.
	fmt.Println(version.Package, version.Version, version.Revision)
}}
{METADATA}"#
    );
    vec![
        (
            "go.mod".into(),
            "module github.com/docker/buildx\n\ngo 1.24.0\n".into(),
        ),
        (
            "version/version.go".into(),
            "package version\n\nvar (\n\tPackage  = \"github.com/docker/buildx\"\n\tVersion  = \"v0.0.0+unknown\"\n\tRevision = \"\"\n)\n".into(),
        ),
        ("cmd/buildx/main.go".into(), main),
    ]
}

pub(crate) fn compose(major: u32) -> Vec<(String, String)> {
    let module = format!("github.com/docker/compose/v{major}");
    let main = format!(
        r#"package main

import (
	"encoding/json"
	"fmt"
	"os"

	"{module}/internal"
)

func main() {{
	if len(os.Args) > 1 && os.Args[1] == "docker-cli-plugin-metadata" {{
		fmt.Println(metadata(internal.Version))
		return
	}}
	fmt.Println("Docker Compose version", internal.Version)
}}
{METADATA}"#
    );
    vec![
        ("go.mod".into(), format!("module {module}\n\ngo 1.24.0\n")),
        // Nothing vendored: an empty go.sum, as a module without dependencies has.
        ("go.sum".into(), String::new()),
        (
            "internal/variables.go".into(),
            "package internal\n\n// Version is injected at link time.\nvar Version = \"dev\"\n"
                .into(),
        ),
        ("cmd/main.go".into(), main),
    ]
}

pub(crate) fn rootlesskit(version: &str) -> Vec<(String, String)> {
    let major = version.split('.').next().unwrap_or("3");
    let module = format!("github.com/rootless-containers/rootlesskit/v{major}");
    let main = format!(
        r#"package main

import (
	"fmt"
	"os"

	"{module}/pkg/version"
)

func main() {{
	if len(os.Args) > 1 && os.Args[1] == "--version" {{
		fmt.Println("rootlesskit version", version.Version)
		return
	}}
	fmt.Fprintln(os.Stderr, "rootlesskit: a fixture; it runs nothing")
	os.Exit(1)
}}
"#
    );
    vec![
        ("go.mod".into(), format!("module {module}\n\ngo 1.24.0\n")),
        ("go.sum".into(), String::new()),
        (
            "pkg/version/version.go".into(),
            format!("package version\n\nconst Version = \"{version}\"\n"),
        ),
        ("cmd/rootlesskit/main.go".into(), main),
        // Docker 27's userland proxy for rootless dockerd: upstream's takes these flags and
        // prints no version; its usage is what shows it runs.
        (
            "cmd/rootlesskit-docker-proxy/main.go".into(),
            ROOTLESSKIT_DOCKER_PROXY.into(),
        ),
    ]
}

const ROOTLESSKIT_DOCKER_PROXY: &str = r#"package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	flag.String("container-ip", "", "container ip")
	flag.Int("container-port", -1, "container port")
	flag.String("host-ip", "", "host ip")
	flag.Int("host-port", -1, "host port")
	flag.String("proto", "tcp", "proxy protocol")
	flag.Parse()
	fmt.Fprintln(os.Stderr, "rootlesskit-docker-proxy: a fixture; it forwards nothing")
	os.Exit(1)
}
"#;
