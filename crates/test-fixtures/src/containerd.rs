//! A containerd-shaped client suite, written over the containerd fixture tree: an
//! `integration/images/image_list.go` shaped like upstream's (references read into package
//! variables, `-image-list` parsed too late to matter), `runc-fp`, an empty `vendor/` and an
//! `integration/client` whose `TestMain` runs nothing without `-test.root`.

/// The files, by path in the tree. `TestMain` runs `containerd` from `PATH` (the fixture
/// prints its version); the tests pull busybox by tag and by digest from the registry the list
/// names, find `runc` and `runc-fp` on `PATH`, fail, skip, and `TestHangs` hangs when a file
/// named `hang` is beside the test binary (`TestAfterTheHang` runs after it).
pub const CONTAINERD_SUITE: &[(&str, &str)] = &[
    ("vendor/modules.txt", ""),
    (
        "integration/images/image_list.go",
        r#"package images

import "flag"

var imageListFile = flag.String("image-list", "", "ignored until too late, as upstream's")

type ImageList struct {
	Alpine          string
	BusyBox         string
	BusyBoxByDigest string
	Pause           string
}

var imageList = initImages()

func initImages() ImageList {
	imageList := ImageList{
		Alpine:          "ghcr.io/containerd/alpine:3.14.0",
		BusyBox:         "ghcr.io/containerd/busybox:1.36",
		BusyBoxByDigest: "ghcr.io/containerd/busybox@sha256:7b3ccabffc97de872a30dfd234fd972a66d247c8cfc69b0550f276481852627c",
		Pause:           "registry.k8s.io/pause:3.10.2",
	}
	return imageList
}

func BusyBox() string         { return imageList.BusyBox }
func BusyBoxByDigest() string { return imageList.BusyBoxByDigest }
"#,
    ),
    (
        "integration/failpoint/cmd/runc-fp/main.go",
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"runc-fp\") }\n",
    ),
    (
        "integration/client/client_test.go",
        r#"package client

import (
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/integration/images"
)

var (
	root   = flag.Bool("test.root", false, "enable tests that require root")
	noCriu = flag.Bool("no-criu", false, "do not run the checkpoint tests")
)

func TestMain(m *testing.M) {
	flag.Parse()
	if !*root {
		os.Exit(0)
	}
	out, err := exec.Command("containerd", "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "containerd ") {
		panic("containerd on PATH: " + string(out))
	}
	os.Exit(m.Run())
}

func pull(t *testing.T, ref string) {
	host, path, _ := strings.Cut(ref, "/")
	repo, reference, found := strings.Cut(path, "@")
	if !found {
		repo, reference, _ = strings.Cut(path, ":")
	}
	req, _ := http.NewRequest("GET", "http://"+host+"/v2/"+repo+"/manifests/"+reference, nil)
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %s", ref, resp.Status)
	}
}

func TestPullsBusyBox(t *testing.T) {
	pull(t, images.BusyBox())
	pull(t, images.BusyBoxByDigest())
}

func TestRuncIsOnPath(t *testing.T) {
	for _, tool := range []string{"runc", "runc-fp", "containerd-shim-runc-v2"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFails(t *testing.T) {
	t.Fatal("this test fails")
}

func TestSkips(t *testing.T) {
	t.Skip("this test skips")
}

func TestHangs(t *testing.T) {
	self, _ := os.Executable()
	if _, err := os.Stat(filepath.Join(filepath.Dir(self), "hang")); err != nil {
		t.Skip("hangs only when asked")
	}
	time.Sleep(10 * time.Minute)
}

func TestAfterTheHang(t *testing.T) {}
"#,
    ),
];
