package netlab

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"starling/sim"
	"starling/sim/shadow"
)

// The Shadow export's proof: the hosts of an exported scenario run as real
// starling processes in namespaces, with the exported arguments, and their
// event logs read back into the simulator's report account for every
// planned message, in an open channel and in a private group handed over
// at start.
func TestShadowExportInLab(t *testing.T) {
	needLab(t)
	bin := starlingBin(t)
	sc, err := sim.Builtin("netlab-shadow")
	if err != nil {
		t.Fatal(err)
	}
	b, err := sim.NewBlueprint(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "export")
	if _, err := shadow.Export(dir, b, shadow.Config{}); err != nil {
		t.Fatal(err)
	}
	logs := t.TempDir()
	start := time.Now()
	rep, err := RunExport(t.Context(), Config{Starling: bin, LogDir: logs, Logger: testLogger(t)}, dir, filepath.Join(dir, "netlab.data"))
	t.Logf("the lab run took %s", time.Since(start).Round(100*time.Millisecond))
	if err != nil {
		dumpLogs(t, logs)
		t.Fatal(err)
	}
	r := rep.Runs[0]
	want := 0
	for _, m := range b.Messages {
		want += len(b.Groups[m.Group].Members) - 1
	}
	if b.Groups[1].Kind != sim.GroupPrivate {
		t.Fatalf("the proof scenario's second group is %s, want a private one", b.Groups[1].Kind)
	}
	if r.Sent != len(b.Messages) || r.Expected != want {
		t.Errorf("sent %d of %d planned messages, expected %d deliveries; want all sent and %d expected",
			r.Sent, len(b.Messages), r.Expected, want)
	}
	// On one bridge without loss every message reaches every member,
	// whatever the machine's load: gossip or, failing that, catch-up.
	if r.Delivered != r.Expected {
		t.Errorf("delivered %d of %d", r.Delivered, r.Expected)
	}
	for _, n := range r.Nodes {
		if n.BytesIn == 0 || n.BytesOut == 0 {
			t.Errorf("%s reported no traffic: %+v", n.Name, n)
		}
	}
	if r.FirstLatency.Count != len(b.Messages) || r.AllLatency.Count != len(b.Messages) {
		t.Errorf("latencies of %d and %d messages, want %d", r.FirstLatency.Count, r.AllLatency.Count, len(b.Messages))
	}
	t.Logf("lab: delivered %d/%d, first p50 %s p99 %s, every member p50 %s p99 %s",
		r.Delivered, r.Expected, r.FirstLatency.P50, r.FirstLatency.P99, r.AllLatency.P50, r.AllLatency.P99)
	if _, err := os.Stat(filepath.Join(dir, "netlab.data", "hosts", "relay-0", "api.json")); !os.IsNotExist(err) {
		t.Errorf("relay-0 left its API record behind after SIGTERM (stat: %v)", err)
	}
}

// Client isolation in the graph becomes dropped frames on the bridge, and
// a slower link a shaped one.
func TestShadowExportFilters(t *testing.T) {
	needLab(t)
	b := exportBlueprint(t, "duration: 1m\nnodes: {attendees: 3, relays: 1}\ntopology: {kind: isolated}\nlink: {bandwidth: 20Mbps, latency: 5ms}\ngroups: [{name: lobby}]\n")
	dir := filepath.Join(t.TempDir(), "export")
	if _, err := shadow.Export(dir, b, shadow.Config{}); err != nil {
		t.Fatal(err)
	}
	s, err := shadow.ReadSimulation(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := newLab(t, Config{Starling: "/bin/true", Logger: testLogger(t)})
	hosts, notes, err := buildExport(t.Context(), l, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "adds no latency") {
		t.Errorf("notes %q, want one on the latency the lab does not add", notes)
	}
	relay, a, c := hosts[0], hosts[1], hosts[2]
	if relay.Addr() != netip.MustParseAddr("10.1.0.1") {
		t.Errorf("relay at %s, want its exported 10.1.0.1", relay.Addr())
	}
	// Nothing listens on the relay: a refused connection shows that frames
	// pass, where a dropped one times out.
	if err := a.Dial(t.Context(), netip.AddrPortFrom(relay.Addr(), port), probeTimeout); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("attendee to relay: %v, want connection refused", err)
	}
	if err := mustNotReach(t.Context(), a, c); err != nil {
		t.Error(err)
	}
	out, err := l.output(t.Context(), "", "ip", "netns", "exec", a.Namespace(), "tc", "qdisc", "show", "dev", "eth0")
	if err != nil || !strings.Contains(string(out), "tbf") || !strings.Contains(string(out), "20Mbit") {
		t.Errorf("attendee's eth0 is not shaped to 20 Mbit/s: %s (%v)", out, err)
	}
}

func exportBlueprint(t *testing.T, yml string) *sim.Blueprint {
	t.Helper()
	sc, err := sim.Parse([]byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	b, err := sim.NewBlueprint(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
