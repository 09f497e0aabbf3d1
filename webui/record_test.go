package webui

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"starling/home"
)

// The record is private, found while its daemon lives, and gone after
// Unpublish or when its daemon died.
func TestWebRecord(t *testing.T) {
	dir := home.Dir(t.TempDir())
	if _, err := ReadRecord(dir); !errors.Is(err, ErrNotServing) || !strings.Contains(err.Error(), "starling up --web") {
		t.Errorf("ReadRecord with no record: %v, want ErrNotServing saying what to do", err)
	}
	rec := Record{PID: os.Getpid(), Local: "127.0.0.1:1", LAN: []string{"192.168.1.20:8080"}, Token: webToken}
	if err := Publish(dir, rec); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir.WebUI())
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("record file: %v, mode %v; want 0600", err, st.Mode())
	}
	got, err := ReadRecord(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Link() != "http://127.0.0.1:1/#t="+webToken || len(got.LANLinks()) != 1 || got.LANLinks()[0] != "http://192.168.1.20:8080/#t="+webToken {
		t.Errorf("links %q %q", got.Link(), got.LANLinks())
	}
	if err := got.Ping(t.Context()); !errors.Is(err, ErrNotServing) {
		t.Errorf("Ping with nothing at %s: %v, want ErrNotServing", got.Local, err)
	}
	addr, _ := serve(t, testConfig(newFakeAPI()))
	if err := (Record{Local: addr}).Ping(t.Context()); err != nil {
		t.Errorf("Ping of a serving web UI: %v", err)
	}
	Forget(dir) // a live daemon's record stays
	if _, err := ReadRecord(dir); err != nil {
		t.Errorf("Forget removed a live daemon's record: %v", err)
	}
	Unpublish(dir)
	if _, err := os.Stat(dir.WebUI()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Unpublish left the record: %v", err)
	}

	// A record left by a process that has exited.
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Skipf("cannot run a short-lived process: %v", err)
	}
	rec.PID = c.Process.Pid
	if err := Publish(dir, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRecord(dir); !errors.Is(err, ErrNotServing) {
		t.Errorf("ReadRecord of a dead daemon's record: %v, want ErrNotServing", err)
	}
	Forget(dir)
	if _, err := os.Stat(dir.WebUI()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Forget left a dead daemon's record: %v", err)
	}
}

// The page `starling open` hands the browser is private and forwards to
// the link, escaped.
func TestWebOpenPage(t *testing.T) {
	dir := home.Dir(t.TempDir())
	link := Link("127.0.0.1:8080", webToken) + `&x="><script>`
	path, err := WriteOpenPage(dir, link)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("page: %v, mode %v; want 0600", err, st.Mode())
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `content="0;url=http://127.0.0.1:8080/#t=`+webToken) || strings.Contains(string(b), "<script>") {
		t.Errorf("page does not forward to the escaped link:\n%s", b)
	}
}
