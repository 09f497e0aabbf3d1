package home

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"starling/internal/testwait"
)

// leftovers lists what is in dir besides the names given.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, e := range entries {
		if !slices.Contains(want, e.Name()) {
			extra = append(extra, e.Name())
		}
	}
	return extra
}

// WritePrivate leaves a 0600 file with exactly the data, replacing a file
// that was there with laxer permissions, and no temporary file behind.
func TestWritePrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "api.token")
	if err := os.WriteFile(path, []byte("an older, longer token that anyone could read"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, data := range [][]byte{[]byte("token one"), {}, bytes.Repeat([]byte{0xa5}, 1<<16)} {
		if err := WritePrivate(path, data); err != nil {
			t.Fatalf("WritePrivate of %d bytes: %v", len(data), err)
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("after writing %d bytes the file holds %d (%v)", len(data), len(got), err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("the file's mode is %o, want 600", perm)
		}
		if extra := leftovers(t, dir, "api.token"); len(extra) > 0 {
			t.Errorf("WritePrivate left %q behind", extra)
		}
	}
}

// When the write cannot happen, WritePrivate says so and leaves what was
// there as it was, with no temporary file.
func TestWritePrivateFails(t *testing.T) {
	dir := t.TempDir()
	if err := WritePrivate(filepath.Join(dir, "missing", "api.token"), []byte("x")); err == nil {
		t.Error("WritePrivate into a directory that does not exist succeeded")
	}
	// A directory in the way: the rename fails.
	inTheWay := filepath.Join(dir, "web.json")
	if err := os.MkdirAll(filepath.Join(inTheWay, "kept"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WritePrivate(inTheWay, []byte("x")); err == nil {
		t.Error("WritePrivate over a non-empty directory succeeded")
	}
	if _, err := os.Stat(filepath.Join(inTheWay, "kept")); err != nil {
		t.Errorf("the directory in the way lost its contents: %v", err)
	}
	if extra := leftovers(t, dir, "web.json"); len(extra) > 0 {
		t.Errorf("a failed WritePrivate left %q behind", extra)
	}
}

// A reader never sees half a file: every read while another goroutine
// rewrites it finds one whole version or the other.
func TestWritePrivateIsWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "api.json")
	versions := [][]byte{bytes.Repeat([]byte("a"), 1<<16), bytes.Repeat([]byte("b"), 1<<15)}
	if err := WritePrivate(path, versions[0]); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for i := range 300 {
			if err := WritePrivate(path, versions[i%2]); err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
		}
	})
	reads := 0
	for stop := false; !stop && reads < 100_000; reads++ {
		select {
		case <-done:
			stop = true
		default:
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %d: %v", reads, err)
		}
		if !bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1]) {
			t.Fatalf("read %d saw %d bytes, neither version whole", reads, len(got))
		}
	}
	wg.Wait()
}

func TestProcessAlive(t *testing.T) {
	if !ProcessAlive(os.Getpid()) {
		t.Error("this test's own process is not alive")
	}
	for _, pid := range []int{0, -1} {
		if ProcessAlive(pid) {
			t.Errorf("ProcessAlive(%d) = true", pid)
		}
	}

	// A running child is alive; once it exits it is a zombie until
	// reaped, and gone either way.
	child := exec.Command("sleep", "60")
	if err := child.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	pid := child.Process.Pid
	reaped := false
	t.Cleanup(func() {
		if !reaped {
			_ = child.Process.Kill()
			_ = child.Wait()
		}
	})
	if !ProcessAlive(pid) {
		t.Fatalf("a running child (pid %d) is not alive", pid)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		testwait.Until(t, 10*time.Second, "the killed child to become a zombie", func() bool {
			stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			return err == nil && strings.Contains(string(stat), ") Z ")
		})
		if ProcessAlive(pid) {
			t.Errorf("a zombie child (pid %d) counts as alive", pid)
		}
	}
	err := child.Wait()
	reaped = true
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("wait for the killed child: %v", err)
	}
	if ProcessAlive(pid) {
		t.Errorf("a reaped child (pid %d) counts as alive", pid)
	}
}
