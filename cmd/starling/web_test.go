package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"starling/home"
	"starling/internal/testwait"
)

// webLineRE matches what `up --web` prints, and `open --print` alone.
var webLineRE = regexp.MustCompile(`(?m)^web (http://127\.0\.0\.1:\d+/#t=[0-9a-f]{64})$`)

// webLink waits until the daemon whose stdout is in path has printed its
// web UI link, and returns it.
func webLink(t *testing.T, path string) string {
	t.Helper()
	var link string
	testwait.UntilNil(t, meetTimeout, "the daemon prints its web UI link", func() error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		m := webLineRE.FindStringSubmatch(string(b))
		if m == nil {
			return fmt.Errorf("no web line in:\n%s", b)
		}
		link = m[1]
		return nil
	})
	return link
}

// fakeOpener puts an xdg-open on PATH that records its argument in a file
// and returns that file's path.
func fakeOpener(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	got := filepath.Join(dir, "opened")
	script := "#!/bin/sh\nprintf '%s' \"$1\" > " + got + "\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return got
}

// openedPage runs `open` with the fake opener and returns the file:// URL
// it handed the browser, after checking the page it names.
func openedPage(t *testing.T, h *testHome, link string, got string) string {
	t.Helper()
	r := h.ok("open")
	if !strings.HasPrefix(r.stdout, "opened the web UI (http://127.0.0.1:") || strings.Contains(r.stdout, "#t=") {
		t.Errorf("open printed %q; want a note without the token", r.stdout)
	}
	var target string
	testwait.UntilNil(t, commandTimeout, "the opener runs", func() error {
		b, err := os.ReadFile(got)
		target = string(b)
		if err == nil && target == "" {
			err = errors.New("empty")
		}
		return err
	})
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "file" || u.Path != home.Dir(h.dir).WebOpen() {
		t.Fatalf("the browser was handed %q, want file://%s", target, home.Dir(h.dir).WebOpen())
	}
	st, err := os.Stat(u.Path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("open page %s: %v (mode %v); want 0600", u.Path, err, st.Mode())
	}
	page, _ := os.ReadFile(u.Path)
	if !strings.Contains(string(page), "url="+link) {
		t.Errorf("the open page does not forward to %s:\n%s", link, page)
	}
	return target
}

func webGet(t *testing.T, link, path, host string, auth bool) (*http.Response, string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("GET", "http://"+u.Host+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+strings.TrimPrefix(u.Fragment, "t="))
	}
	resp, err := (&http.Client{Timeout: commandTimeout, Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// `up --web` serves the UI on loopback with the node's API behind its
// token, records where for `open`, and cleans up when it stops.
func TestWebUpAndOpen(t *testing.T) {
	h := initHome(t, "alice")
	checkOneLineError(t, h.run("open"), 1, "open needs a running node")
	d, id, stdout := h.startDaemon("up", "--listen", "/ip4/127.0.0.1/tcp/0", "--web", "127.0.0.1:0")
	link := webLink(t, stdout)

	if r := h.ok("open", "--print"); r.stdout != link+"\n" {
		t.Errorf("open --print printed %q, want %q", r.stdout, link)
	}
	st, err := os.Stat(home.Dir(h.dir).WebUI())
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("web record: %v (mode %v); want 0600", err, st.Mode())
	}
	checkOneLineError(t, h.run("open", "--lan"), 1, "starling up --web-lan")

	resp, body := webGet(t, link, "/", "", false)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("GET /: %s, CSP %q", resp.Status, resp.Header.Get("Content-Security-Policy"))
	}
	if !strings.Contains(body, `<script type="module" src="/js/main.js">`) {
		t.Errorf("the page does not load its script:\n%s", body)
	}
	resp, body = webGet(t, link, "/api/v1/status", "", true)
	var status struct {
		PeerID string `json:"peer_id"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &status) != nil || status.PeerID != id.PeerID {
		t.Errorf("GET /api/v1/status with the token: %s %s; want this node's status", resp.Status, body)
	}
	if resp, _ := webGet(t, link, "/api/v1/status", "", false); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/status without the token: %s, want 401", resp.Status)
	}
	if resp, _ := webGet(t, link, "/api/v1/status", "attacker.example", true); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /api/v1/status with a foreign Host: %s, want 403", resp.Status)
	}

	got := fakeOpener(t)
	openedPage(t, h, link, got)

	d.stop()
	for _, f := range []string{home.Dir(h.dir).WebUI(), home.Dir(h.dir).WebOpen()} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the daemon left %s behind after a clean stop (stat: %v)", f, err)
		}
	}
	checkOneLineError(t, h.run("open"), 1, "starling up")
}

// A daemon without --web says so to `open`; --web refuses addresses beyond
// loopback.
func TestWebFlagsAndOpenWithoutWeb(t *testing.T) {
	h := initHome(t, "bob")
	for _, tc := range []struct {
		flags []string
		hint  string
	}{
		{[]string{"--web", "0.0.0.0:0"}, "--web-lan"},
		{[]string{"--web", "192.168.1.2:8080"}, "not a loopback address"},
		{[]string{"--web", "nonsense"}, "want HOST:PORT"},
	} {
		checkOneLineError(t, h.run(append([]string{"up", "--no-mdns"}, tc.flags...)...), 2, tc.hint)
	}
	h.up("--listen", "/ip4/127.0.0.1/tcp/0")
	checkOneLineError(t, h.run("open"), 1, "does not serve the web UI")
}
