package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// An organiser relay carries a channel's history and two attendees that
// hold reservations on it; its metrics count them.
func TestRelayCommand(t *testing.T) {
	t.Parallel()
	r := initHome(t, "relay")
	d, rid, stdoutFile := r.startDaemon("relay", "--listen", "/ip4/127.0.0.1/tcp/0", "--group", "hall", "--metrics", "127.0.0.1:0")
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
