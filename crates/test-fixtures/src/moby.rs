//! A moby-shaped API integration suite (written over a moby fixture tree) and the engine it
//! talks to: one program that is `dockerd` (serves `/_ping`, takes imports, lists them) and
//! `docker` (`version` and `import`, over `DOCKER_HOST`), chosen by the name it runs as; and
//! the moby-shaped tree itself.

use crate::winres::ICON;

/// `integration/fixture`: a test that talks to the daemon and sees the imported images, one
/// that starts a daemon of its own by `dockerd` on `PATH` under `DEST`, one that fails, one
/// that skips, and one that waits (only when a file `wait` is beside the test binary).
pub const MOBY_SUITE: &[(&str, &str)] = &[(
    "integration/fixture/fixture_test.go",
    r#"package fixture

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, path string) string {
	sock := strings.TrimPrefix(os.Getenv("DOCKER_HOST"), "unix://")
	client := http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return net.Dial("unix", sock)
	}}}
	resp, err := client.Get("http://daemon" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

func TestTheDaemonAnswersWithTheFrozenImages(t *testing.T) {
	if got := get(t, "/_ping"); got != "OK" {
		t.Fatalf("ping: %q", got)
	}
	if got := get(t, "/images"); !strings.Contains(got, "busybox:latest linux/amd64\nbusybox:also linux/amd64") {
		t.Fatalf("images: %q", got)
	}
}

func TestADaemonOfItsOwn(t *testing.T) {
	dest := filepath.Join(os.Getenv("DEST"), t.Name())
	if err := os.MkdirAll(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("dockerd", "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "fixture dockerd") {
		t.Fatalf("dockerd on PATH: %q %v", out, err)
	}
}

func TestFails(t *testing.T) {
	t.Fatal("this test fails")
}

func TestSkips(t *testing.T) {
	t.Skip("this test skips")
}

// Waits when a file named "wait" is beside the test binary.
func TestWaits(t *testing.T) {
	self, _ := os.Executable()
	if _, err := os.Stat(filepath.Join(filepath.Dir(self), "wait")); err != nil {
		t.Skip("waits only when asked")
	}
	time.Sleep(2 * time.Minute)
}
"#,
)];

/// The fixture engine: `dockerd` and `docker` in one program.
pub const MOBY_ENGINE: &str = r#"package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

func main() {
	if filepath.Base(os.Args[0]) == "docker" {
		os.Exit(client(os.Args[1:]))
	}
	daemon(os.Args[1:])
}

func daemon(args []string) {
	host := ""
	for i, a := range args {
		if a == "--version" {
			fmt.Println("fixture dockerd")
			return
		}
		if a == "--host" && i+1 < len(args) {
			host = strings.TrimPrefix(args[i+1], "unix://")
		}
	}
	l, err := net.Listen("unix", host)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var images []string
	http.HandleFunc("/_ping", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "OK") })
	// As dockerd's /images/load: a docker save archive, each layer checked against its diff id.
	http.HandleFunc("/load", func(w http.ResponseWriter, r *http.Request) {
		loaded, err := load(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		images = append(images, loaded...)
		mu.Unlock()
	})
	http.HandleFunc("/images", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		io.WriteString(w, strings.Join(images, "\n"))
		mu.Unlock()
	})
	http.Serve(l, nil)
}

func load(archive io.Reader) ([]string, error) {
	files := map[string][]byte{}
	r := tar.NewReader(archive)
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		files[h.Name], _ = io.ReadAll(r)
	}
	var manifest []struct{ Config string; RepoTags, Layers []string }
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		return nil, fmt.Errorf("manifest.json: %v", err)
	}
	var loaded []string
	for _, m := range manifest {
		var config struct {
			Architecture, OS string
			RootFS struct{ DiffIDs []string `json:"diff_ids"` }
		}
		if err := json.Unmarshal(files[m.Config], &config); err != nil {
			return nil, fmt.Errorf("%s: %v", m.Config, err)
		}
		for i, layer := range m.Layers {
			sum := sha256.Sum256(files[layer])
			if i >= len(config.RootFS.DiffIDs) || config.RootFS.DiffIDs[i] != "sha256:"+hex.EncodeToString(sum[:]) {
				return nil, fmt.Errorf("%s does not match its diff id", layer)
			}
		}
		for _, tag := range m.RepoTags {
			loaded = append(loaded, tag+" "+config.OS+"/"+config.Architecture)
		}
	}
	return loaded, nil
}

func client(args []string) int {
	sock := strings.TrimPrefix(os.Getenv("DOCKER_HOST"), "unix://")
	c := http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return net.Dial("unix", sock)
	}}}
	call := func(path string) int {
		resp, err := c.Get("http://daemon" + path)
		if err != nil {
			return 1
		}
		resp.Body.Close()
		return 0
	}
	if len(args) == 4 && args[0] == "load" && args[1] == "--quiet" && args[2] == "--input" {
		f, err := os.Open(args[3])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		resp, err := c.Post("http://daemon/load", "application/x-tar", f)
		if err != nil {
			return 1
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			io.Copy(os.Stderr, resp.Body)
			return 1
		}
		return 0
	}
	if len(args) > 0 && args[0] == "version" {
		return call("/_ping")
	}
	return 2
}
"#;

/// The moby-shaped tree: dockerd, docker-proxy, and what Docker ships from its `contrib/`.
pub(crate) const MOBY: &[(&str, &str)] = &[
    ("go.mod", "module github.com/moby/moby/v2\n\ngo 1.24.0\n"),
    // Windows resources (hack/make/.mkwinres): the icon and the event log's message table.
    ("cmd/dockerd/winresources/docker.ico", ICON),
    (
        "cmd/dockerd/winresources/event_messages.bin",
        "\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x10\x00\x00\x00",
    ),
    // What Docker's rootless extras take from moby's tree, as it is.
    (
        "contrib/dockerd-rootless.sh",
        "#!/bin/sh\n# Runs dockerd in rootlesskit's user namespace.\nexec rootlesskit dockerd \"$@\"\n",
    ),
    (
        "contrib/dockerd-rootless-setuptool.sh",
        "#!/bin/sh\n# Sets up a user's rootless dockerd.\necho \"setuptool $*\"\n",
    ),
    // What docker-ce's deb installs as /etc/init.d/docker and /etc/default/docker.
    (
        "contrib/init/sysvinit-debian/docker",
        r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          docker
# Required-Start:    $syslog $remote_fs
# Required-Stop:     $syslog $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: The fixture engine
### END INIT INFO
DOCKER_OPTS=
[ -f /etc/default/docker ] && . /etc/default/docker
case "$1" in
	start) start-stop-daemon --start --background --exec /usr/bin/dockerd -- $DOCKER_OPTS ;;
	stop) start-stop-daemon --stop --exec /usr/bin/dockerd ;;
	restart|force-reload) "$0" stop; "$0" start ;;
	status) start-stop-daemon --status --exec /usr/bin/dockerd ;;
	*) echo "Usage: $0 {start|stop|restart|force-reload|status}"; exit 1 ;;
esac
"#,
    ),
    (
        "contrib/init/sysvinit-debian/docker.default",
        "# The fixture engine's defaults.\n#DOCKER_OPTS=\"--dns 8.8.8.8\"\n",
    ),
    (
        "dockerversion/version.go",
        "package dockerversion\n\nvar (\n\tVersion   = \"library-import\"\n\tGitCommit = \"library-import\"\n\tBuildTime = \"\"\n)\n",
    ),
    (
        "cmd/dockerd/main.go",
        r#"package main

import (
	"fmt"
	"os"

	"github.com/moby/moby/v2/dockerversion"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--validate" {
		fmt.Println("configuration OK")
		return
	}
	fmt.Printf("Docker version %s, build %s\n", dockerversion.Version, dockerversion.GitCommit)
	fmt.Printf("built %s\n", dockerversion.BuildTime)
}
"#,
    ),
    (
        "cmd/docker-proxy/main.go",
        r#"package main

import (
	"fmt"

	"github.com/moby/moby/v2/dockerversion"
)

func main() {
	fmt.Printf("docker-proxy (commit %s) version %s\n", dockerversion.GitCommit, dockerversion.Version)
}
"#,
    ),
];

/// The moby fixture, its `man/` module included, with its module declared as `module` in
/// `file` (`go.mod` from 29, `vendor.mod` before).
pub(crate) fn moby_files(module: &str, file: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = MOBY
        .iter()
        .map(|(name, text)| {
            let name = if *name == "go.mod" { file } else { name };
            (
                name.to_owned(),
                text.replace("github.com/moby/moby/v2", module),
            )
        })
        .collect();
    files.extend(crate::man::moby_man());
    files
}
