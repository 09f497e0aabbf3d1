package apiserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"starling/api"
	"starling/home"
)

func TestPublishAndUnpublish(t *testing.T) {
	dir := home.Dir(t.TempDir())
	ep := api.Endpoint{Addr: "127.0.0.1:7070", PID: os.Getpid(), Started: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	token, err := api.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if other, _ := api.NewToken(); len(token) != 64 || other == token {
		t.Errorf("NewToken = %q and %q: want 64 fresh hex digits each", token, other)
	}
	// Publishing twice replaces both files whole.
	for range 2 {
		if err := api.Publish(dir, ep, token); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{dir.APIEndpoint(), dir.APIToken()} {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(f), perm)
		}
	}
	b, err := os.ReadFile(dir.APIEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	var got api.Endpoint
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ep, got); diff != "" {
		t.Errorf("recorded endpoint (-want +got):\n%s", diff)
	}
	if b, err := os.ReadFile(dir.APIToken()); err != nil || strings.TrimSpace(string(b)) != token {
		t.Errorf("recorded token = %q, %v", b, err)
	}
	entries, err := os.ReadDir(string(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("home holds %d files after Publish, want 2 (no temporary files left)", len(entries))
	}

	// Another process's endpoint stays.
	other := ep
	other.PID = os.Getpid() + 1
	if err := api.Publish(dir, other, token); err != nil {
		t.Fatal(err)
	}
	api.Unpublish(dir)
	if _, err := os.Stat(dir.APIEndpoint()); err != nil {
		t.Errorf("Unpublish removed another process's endpoint: %v", err)
	}
	if err := api.Publish(dir, ep, token); err != nil {
		t.Fatal(err)
	}
	api.Unpublish(dir)
	if _, err := os.Stat(dir.APIEndpoint()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Unpublish left this process's endpoint: %v", err)
	}
	if _, err := os.Stat(dir.APIToken()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Unpublish left this process's token: %v", err)
	}
	api.Unpublish(dir) // nothing there: no error, no panic
}

// deadPID returns the PID of a child process that has exited and been
// reaped.
func deadPID(t testing.TB) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatalf("run true: %v", err)
	}
	return cmd.ProcessState.Pid()
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestDial(t *testing.T) {
	publish := func(t *testing.T, ep api.Endpoint) home.Dir {
		t.Helper()
		dir := home.Dir(t.TempDir())
		if err := api.Publish(dir, ep, strings.Repeat("t", 64)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	t.Run("no daemon", func(t *testing.T) {
		_, err := api.Dial(home.Dir(t.TempDir()))
		if !errors.Is(err, api.ErrNoDaemon) || !strings.Contains(err.Error(), "starling up") {
			t.Errorf("Dial = %v, want %v saying what to do", err, api.ErrNoDaemon)
		}
	})
	t.Run("unreadable endpoint", func(t *testing.T) {
		dir := home.Dir(t.TempDir())
		if err := os.WriteFile(dir.APIEndpoint(), []byte("{half"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := api.Dial(dir); !errors.Is(err, api.ErrNoDaemon) {
			t.Errorf("Dial = %v, want %v", err, api.ErrNoDaemon)
		}
	})
	t.Run("dead process", func(t *testing.T) {
		pid := deadPID(t)
		_, err := api.Dial(publish(t, api.Endpoint{Addr: closedAddr(t), PID: pid}))
		if !errors.Is(err, api.ErrDaemonGone) || !strings.Contains(err.Error(), "starling up") {
			t.Errorf("Dial with pid %d gone = %v, want %v saying what to do", pid, err, api.ErrDaemonGone)
		}
	})
	t.Run("no token", func(t *testing.T) {
		dir := publish(t, api.Endpoint{Addr: closedAddr(t), PID: os.Getpid()})
		if err := os.Remove(dir.APIToken()); err != nil {
			t.Fatal(err)
		}
		if _, err := api.Dial(dir); err == nil || !strings.Contains(err.Error(), "token") {
			t.Errorf("Dial without a token file = %v", err)
		}
	})
	t.Run("refused port", func(t *testing.T) {
		c, err := api.Dial(publish(t, api.Endpoint{Addr: closedAddr(t), PID: os.Getpid()}))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Ping(context.Background()); !errors.Is(err, api.ErrDaemonGone) {
			t.Errorf("Ping = %v, want %v", err, api.ErrDaemonGone)
		}
		if _, err := c.Status(context.Background()); err == nil || !strings.Contains(err.Error(), "not answering") {
			t.Errorf("Status = %v, want an error saying the daemon is not answering", err)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		s := startServer(t, newFakeBackend(t))
		if err := os.WriteFile(s.home.APIToken(), []byte(strings.Repeat("0", 64)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := api.Dial(s.home)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "token") {
			t.Errorf("Ping with a stale token = %v, want an error about the token", err)
		}
	})
}
