//! A moby-shaped API integration suite (written over a moby fixture tree) and the engine it
//! talks to: one program that is `dockerd` (serves `/_ping`, takes imports, lists them) and
//! `docker` (`version` and `import`, over `DOCKER_HOST`), chosen by the name it runs as.

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
	if got := get(t, "/images"); !strings.Contains(got, "busybox:latest linux/amd64") {
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
	"context"
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
	http.HandleFunc("/import", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		images = append(images, r.URL.Query().Get("ref")+" "+r.URL.Query().Get("platform"))
		mu.Unlock()
	})
	http.HandleFunc("/images", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		io.WriteString(w, strings.Join(images, "\n"))
		mu.Unlock()
	})
	http.Serve(l, nil)
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
	if len(args) > 0 && args[0] == "version" {
		return call("/_ping")
	}
	if len(args) > 0 && args[0] == "import" {
		platform, ref := "linux/amd64", args[len(args)-1]
		for i, a := range args {
			if a == "--platform" {
				platform = args[i+1]
			}
		}
		return call("/import?ref=" + ref + "&platform=" + platform)
	}
	return 2
}
"#;
