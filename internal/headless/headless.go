// Package headless holds what the browser tests (the web UI's in
// cmd/starling, the phone page's in phone/browsertest) share: finding
// Chromium and the directory their screenshots and figures go to.
package headless

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// ChromiumPath is Debian's Chromium, which the tests drive.
const ChromiumPath = "/usr/bin/chromium"

// installTimeout bounds installing Chromium with apt-get.
const installTimeout = 10 * time.Minute

// Chromium returns Debian's Chromium, installing it with apt-get when it is
// missing and the test runs as root; it skips the test, saying why, when it
// can do neither.
func Chromium(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the browser tests drive Debian's Chromium; this is not Linux")
	}
	if _, err := os.Stat(ChromiumPath); err == nil {
		return ChromiumPath
	}
	if os.Geteuid() != 0 {
		t.Skipf("%s is missing and this test is not root, so it cannot install it; run `apt-get install -y chromium` (.ci/run does)", ChromiumPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "chromium"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("%s is missing and `apt-get %v` failed (%v), so the browser test cannot run:\n%s", ChromiumPath, args, err, out)
		}
	}
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Skipf("apt-get installed chromium, but %s is still missing: %v", ChromiumPath, err)
	}
	return ChromiumPath
}

// ArtifactDir is where a test's screenshots and figures go:
// $STARLING_ARTIFACTS if set, the test's artifact directory with `go test
// -artifacts`, else out/NAME at the top of the repository (ignored by git).
func ArtifactDir(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("STARLING_ARTIFACTS")
	switch {
	case dir != "":
	case flag.Lookup("test.artifacts") != nil && flag.Lookup("test.artifacts").Value.String() == "true":
		return t.ArtifactDir()
	default:
		root, err := repoRoot()
		if err != nil {
			t.Fatalf("artifact directory: %v", err)
		}
		dir = filepath.Join(root, "out", name)
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		err = os.MkdirAll(abs, 0o755)
	}
	if err != nil {
		t.Fatalf("artifact directory %s: %v", dir, err)
	}
	return abs
}

// repoRoot is the nearest directory above the test's own that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
