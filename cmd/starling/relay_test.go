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

	"starling/internal/testwait"
)

// An organiser relay carries a channel's history and two attendees that
// hold reservations on it; its metrics count them.
func TestRelayCommand(t *testing.T) {
	t.Parallel()
	r := initHome(t, "relay")
	d, rid, stdoutFile := r.startDaemon("relay", "--listen", "/ip4/127.0.0.1/tcp/0", "--group", "hall", "--metrics", "127.0.0.1:0")
	relayAddr := rid.addr(t, "/ip4/127.0.0.1/tcp/")

	var metricsURL string
	testwait.UntilNil(t, meetTimeout, "the relay prints its metrics address", func() error {
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

	testwait.UntilNil(t, meetTimeout, "the relay's metrics show both reservations and the message", func() error {
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
	checkOneLineError(t, h.run("relay", "--no-mdns", "--mesh-degree", "2"), 2, "at least 6")
	checkOneLineError(t, h.run("up", "--no-mdns", "--relay", "/ip4/127.0.0.1/tcp/1"), 2, "/p2p/")
	checkOneLineError(t, h.run("relay", "--no-mdns", "--tls-cert", "cert.pem"), 2, "--tls-cert needs --phone")
	checkOneLineError(t, h.run("relay", "--no-mdns", "--phone", "8080"), 2, "HOST:PORT")
	checkOneLineError(t, h.run("relay", "--no-mdns", "--phone", "127.0.0.1:0", "--tls-cert", "cert.pem"), 2, "go together")
	checkOneLineError(t, h.run("up", "--no-mdns", "--phone", "127.0.0.1:0", "--tls-cert", "none.pem", "--tls-key", "none.pem"), 1, "--tls-cert none.pem")
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

// TestRelayCarriesPrivateGroup: an organiser makes a carrier link with
// `invite --carrier` and hands it to a running relay (`join LINK` on the
// relay's home); the relay then stores the private group's messages and
// serves them to a late joiner, without being able to read them.
func TestRelayCarriesPrivateGroup(t *testing.T) {
	t.Parallel()
	r := initHome(t, "relay")
	_, rid, _ := r.startDaemon("relay", "--listen", "/ip4/127.0.0.1/tcp/0")
	relayAddr := rid.addr(t, "/ip4/127.0.0.1/tcp/")

	alice := initHome(t, "alice")
	ad, aid := alice.up("--listen", "/ip4/127.0.0.1/tcp/0", "--relay", relayAddr)
	id := alice.createGroup("backstage", "private", "--private")
	carrier := alice.ok("invite", id, "--carrier").stdout
	carrier, _, _ = strings.Cut(carrier, "\n")
	if member, _ := alice.invite(id); member == carrier {
		t.Fatal("the carrier link is the member link")
	}
	r.ok("join", carrier)
	// alice's node sends in a private group once it has caught up there.
	waitSynced(t, "backstage", alice)
	secret := "the stage door code is 0815"
	msgID := alice.sendNow("backstage", secret)

	testwait.UntilNil(t, meetTimeout, "the relay stores the private message unread", func() error {
		m := withID(r.groupLog(id), msgID)
		if m == nil {
			return fmt.Errorf("not there yet")
		}
		if !m.Unreadable || strings.Contains(m.Text, "0815") {
			return fmt.Errorf("the relay shows it as %+v; want it unreadable", *m)
		}
		return nil
	})

	// A member who joins later, through the relay alone, catches up from it.
	link, _ := alice.invite(id, "--relay", relayAddr)
	ad.stop()
	bob := initHome(t, "bob")
	bob.up("--listen", "/ip4/127.0.0.1/tcp/0")
	bob.joinLink(link, "backstage", id)
	waitText(t, bob, "backstage", aid.Fingerprint, secret)
}
