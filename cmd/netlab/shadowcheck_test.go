package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"starling/netlab"
	"starling/sim"
	"starling/sim/shadow"
)

// The Shadow export's proof: the hosts of an exported scenario run as real
// starling processes in namespaces, with the exported arguments, and their
// event logs read back into the simulator's report account for every
// planned message, in an open channel and in a private group handed over
// at start.
func TestShadowExportInLab(t *testing.T) {
	if err := netlab.Check(); err != nil {
		t.Skipf("SKIP: the network lab cannot run here: %v", err)
	}
	starling, err := netlab.BuildStarling(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sim.Builtin(shadowTwin)
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
	cfg := netlab.Config{Starling: starling, LogDir: logs, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	rep, err := runExport(t.Context(), cfg, dir, filepath.Join(dir, "netlab.data"))
	if err != nil {
		dumpLogs(t, logs)
		t.Fatal(err)
	}
	t.Logf("the lab run took %s", rep.Wall.Round(100*time.Millisecond))
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
	// One bridge without loss, eight seconds after the last send: every
	// message reaches every member by gossip, whatever the machine's load
	// (a message gossip dropped would wait for catch-up's next round, a
	// minute away; the report's queue drops would say so).
	if r.Delivered != r.Expected {
		t.Errorf("delivered %d of %d; queue drops %d", r.Delivered, r.Expected, r.QueueDrops)
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
	// A second run of the same export needs its own data directory.
	if _, err := runExport(t.Context(), cfg, dir, filepath.Join(dir, "netlab.data")); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second run into the same data directory: %v", err)
	}
	if _, err := runExport(t.Context(), cfg, dir, filepath.Join(t.TempDir(), "data")); err == nil || !strings.Contains(err.Error(), "directly inside the export") {
		t.Errorf("a data directory outside the export: %v", err)
	}
}

// testWriter sends the lab's log to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// dumpLogs prints the end of every daemon log in dir.
func dumpLogs(t *testing.T, dir string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		t.Logf("--- %s (last 40 lines):\n%s", filepath.Base(f), strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
}
