package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startRelay runs `starling relay` on h with flags, like up does for `up`,
// and returns the daemon and its stdout file.
func (h *testHome) relay(flags ...string) (*daemon, string) {
	h.t.Helper()
	args := append([]string{"relay", "--no-mdns"}, flags...)
	stdout, err := os.CreateTemp(h.logs, "relay-*.stdout")
	if err != nil {
		h.t.Fatal(err)
	}
	stderr, err := os.Create(strings.TrimSuffix(stdout.Name(), ".stdout") + ".stderr")
	if err != nil {
		h.t.Fatal(err)
	}
	d := &daemon{h: h, cmd: h.command(context.Background(), args...), stderr: stderr.Name(), done: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = stdout, stderr
	err = d.cmd.Start()
	stdout.Close()
	stderr.Close()
	if err != nil {
		h.t.Fatalf("start starling relay: %v", err)
	}
	go func() {
		d.cmd.Wait()
		close(d.done)
	}()
	h.t.Cleanup(func() {
		d.kill()
		if h.t.Failed() {
			h.t.Logf("stderr of starling %q (pid %d):\n%s", args, d.cmd.Process.Pid, d.log())
		}
	})
	eventually(h.t, meetTimeout, "the relay's API answers", func() error {
		if d.exited() {
			h.t.Fatalf("starling relay exited early: %s\n%s", d.cmd.ProcessState, d.log())
		}
		if r := h.run("id", "--json"); r.code != 0 {
			return errors.New(r.stderr)
		}
		return nil
	})
	return d, stdout.Name()
}

// An organiser relay carries a channel's history and two attendees that
// hold reservations on it; its metrics count them.
func TestRelayCommand(t *testing.T) {
	t.Parallel()
	r := initHome(t, "relay")
	d, stdoutFile := r.relay("--listen", "/ip4/127.0.0.1/tcp/0", "--group", "hall", "--metrics", "127.0.0.1:0")
	var rid idJSON
	r.decode(&rid, "id", "--json")
	relayAddr := rid.addr(t, "/ip4/127.0.0.1/tcp/")

	var metricsURL string
	eventually(t, meetTimeout, "the relay prints its metrics address", func() error {
		out, _ := os.ReadFile(stdoutFile)
		m := regexp.MustCompile(`(?m)^metrics (http://\S+)$`).FindSubmatch(out)
		if m == nil {
			return fmt.Errorf("stdout so far:\n%s", out)
		}
		metricsURL = string(m[1])
		return nil
	})

	alice, bob := initHome(t, "alice"), initHome(t, "bob")
	for _, h := range []*testHome{alice, bob} {
		h.up("--listen", "/ip4/127.0.0.1/tcp/0", "--relay", relayAddr)
		h.ok("join", "hall")
	}
	awaitMesh(t, "hall", alice, bob, r)
	id := alice.sendNow("hall", "through the organiser's relay")
	if err := waitMessage(t, meetTimeout, "hall", id, bob, r); err != nil {
		t.Fatal(err)
	}

	eventually(t, meetTimeout, "the relay's metrics show both reservations and the message", func() error {
		body, err := scrape(metricsURL)
		if err != nil {
			return err
		}
		// awaitMesh sends probes of its own, so at least one message.
		for _, want := range []string{`starling_relay_reservations 2`, `starling_messages_stored [1-9]\d*`, `starling_peers 2`} {
			if !regexp.MustCompile(`(?m)^` + want + `$`).MatchString(body) {
				return fmt.Errorf("no %q in the metrics:\n%s", want, grepStarling(body))
			}
		}
		return nil
	})
	d.stop()
}

func scrape(url string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestRelayBadFlags(t *testing.T) {
	t.Parallel()
	h := initHome(t, "relay")
	checkOneLineError(t, h.run("relay", "--no-mdns", "--acl", "closed"), 2, "want open or invite")
	checkOneLineError(t, h.run("relay", "--no-mdns", "--metrics", "nonsense"), 2, "HOST:PORT")
	checkOneLineError(t, h.run("up", "--no-mdns", "--relay", "/ip4/127.0.0.1/tcp/1"), 2, "/p2p/")
}

func grepStarling(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "starling_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
