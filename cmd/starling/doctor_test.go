package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"starling/api"
	"starling/doctor"
	"starling/internal/headless"
	"starling/internal/testwait"
)

// doctorQuiet is how long a node runs before the doctor's discovery
// checks speak (package doctor's quiet).
const doctorQuiet = 30 * time.Second

// doctorJSON is what `doctor --json` prints.
type doctorJSON struct {
	Running  bool          `json:"running"`
	Findings []api.Finding `json:"findings"`
	Pending  string        `json:"pending"`
}

func (h *testHome) doctor(args ...string) (doctorJSON, result) {
	h.t.Helper()
	r := h.run(append([]string{"doctor", "--json"}, args...)...)
	var d doctorJSON
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		h.t.Fatalf("doctor --json printed no JSON: %v\n%s", err, r)
	}
	return d, r
}

func findingCauses(fs []api.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Cause)
	}
	return out
}

// Without a node, doctor says so, with what to do, and exits 1.
func TestDoctorNoNode(t *testing.T) {
	t.Parallel()
	h := initHome(t, "alice")
	r := h.run("doctor")
	if r.code != 1 || !strings.Contains(r.stdout, "No Starling node is running here") || !strings.Contains(r.stdout, "starling up") ||
		!strings.Contains(r.stderr, "1 problem found") {
		t.Fatalf("doctor without a node:\n%s", r)
	}
	d, r := h.doctor()
	if r.code != 1 || d.Running || len(d.Findings) == 0 || d.Findings[0].Cause != doctor.CauseNoNode {
		t.Fatalf("doctor --json without a node: %+v\n%s", d, r)
	}
}

// A node with a peer: nothing wrong, exit 0. A node alone with --no-mdns and
// no relay, once it has run long enough to tell: LAN discovery is off and
// no relay is configured, exit 1; and its web UI says the first in the line
// above the conversation.
func TestDoctorOnLoopback(t *testing.T) {
	t.Parallel()
	alice, bob := initHome(t, "alice"), initHome(t, "bob")
	_, aliceID, aliceOut := alice.startDaemon("up", "--listen", "/ip4/127.0.0.1/tcp/0", "--web", "127.0.0.1:0")
	bobD, bobID := bob.up("--listen", "/ip4/127.0.0.1/tcp/0", "--peer", aliceID.addr(t, "/ip4/127.0.0.1/tcp/"))
	alice.waitPeers("", bobID.PeerID)
	d, r := bob.doctor()
	if r.code != 0 || !d.Running || len(d.Findings) != 0 {
		t.Fatalf("doctor with a peer: %+v\n%s", d, r)
	}
	if r := bob.run("doctor"); r.code != 0 || !strings.Contains(r.stdout, "Nothing wrong found") || !strings.Contains(r.stdout, "1 peer connected") {
		t.Fatalf("doctor with a peer:\n%s", r)
	}

	// Alice alone: bob stops.
	bobD.stop()
	var got doctorJSON
	testwait.UntilNil(t, meetTimeout+doctorQuiet, "alice's doctor finds mDNS off and no relay", func() error {
		d, r := alice.doctor()
		got = d
		if r.code != 1 || len(d.Findings) < 2 || d.Findings[0].Cause != doctor.CauseMDNSOff || d.Findings[1].Cause != doctor.CauseNoRelay {
			return fmt.Errorf("findings %q (exit %d, pending %q)", findingCauses(d.Findings), r.code, d.Pending)
		}
		return nil
	})
	if r := alice.run("doctor"); r.code != 1 || !strings.Contains(r.stdout, "WARNING  LAN discovery is off") || !strings.Contains(r.stderr, "2 warnings found") {
		t.Fatalf("doctor alone:\n%s", r)
	}
	var st api.Status
	alice.decode(&st, "status", "--json")
	if why, ok := doctor.Why(&st); !ok || why.Cause != doctor.CauseMDNSOff {
		t.Fatalf("status findings %q: the chats would not say why", findingCauses(st.Findings))
	}

	// The web UI's line.
	chromium := headless.Chromium(t)
	tb := newTab(t, newBrowser(t, chromium), "alice")
	tb.do(chromedp.Navigate(webLink(t, aliceOut)))
	want := "No peer found: " + got.Findings[0].Summary
	tb.waitJS("the page says why no peer is found",
		`!document.getElementById('why').hidden && document.getElementById('why').textContent.startsWith(`+jsString(want)+`) && `+
			`document.getElementById('cutoff').hidden`)

	// The terminal chat's line, in tmux.
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; install it (apt-get install tmux) to check the terminal chat's line")
	}
	tm := newTmux(t, starlingBin, "--home", alice.dir, "chat")
	tm.waitScreen("the terminal chat says why no peer is found", shows("no peer found: "+got.Findings[0].Summary, "(starling doctor says more)"))
}
