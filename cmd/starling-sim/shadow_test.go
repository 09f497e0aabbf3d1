package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"starling/sim/report"
	"starling/sim/shadow"
	"starling/simhost"
)

func TestShadowExportAndReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "export")
	r := runArgs(t, "shadow", "export", "lan-small", "--out", dir, "--starling", "/opt/starling", "--seed", "9")
	if r.code != 0 {
		t.Fatalf("export failed:\n%s", r)
	}
	for _, want := range []string{"exported lan-small (seed 9): 12 hosts", "note: hosts talk over TCP", "cd " + dir + " && shadow shadow.yaml"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("export does not say %q:\n%s", want, r)
		}
	}
	cfg, err := os.ReadFile(filepath.Join(dir, shadow.ConfigFile))
	if err != nil || !strings.Contains(string(cfg), "path: /opt/starling") {
		t.Errorf("shadow.yaml does not run /opt/starling (%v)", err)
	}

	// Before Shadow ran, there is nothing to report.
	checkOneLineError(t, runArgs(t, "shadow", "report", dir), 1, "no event log at "+filepath.Join(dir, "shadow.data", "hosts"))

	// A run whose hosts sent nothing still reports: every host started and
	// stopped.
	m, err := shadow.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	for _, h := range m.Hosts {
		hostDir := filepath.Join(data, "hosts", h.Name)
		if err := os.MkdirAll(hostDir, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(hostDir, shadow.EventsFile))
		if err != nil {
			t.Fatal(err)
		}
		w := simhost.NewWriter(f)
		w.Write(simhost.Event{T: m.Start, Kind: simhost.EventStart, Host: h.Name, Peer: h.Peer})
		w.Write(simhost.Event{T: m.Start.Add(time.Minute), Kind: simhost.EventStats, Stats: &simhost.Counters{BytesIn: 1}})
		f.Close()
	}
	out := filepath.Join(t.TempDir(), "report")
	r = runArgs(t, "shadow", "report", dir, "--data", data, "--out", out, "--json")
	if r.code != 0 {
		t.Fatalf("report failed:\n%s", r)
	}
	rep, err := report.ReadJSON(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatalf("stdout is not a report: %v\n%s", err, r)
	}
	if rep.Scenario != "lan-small" || rep.Seed != 9 || rep.Runs[0].Sent != 0 || rep.Runs[0].Expected != 0 {
		t.Errorf("report: %s seed %d, sent %d", rep.Scenario, rep.Seed, rep.Runs[0].Sent)
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Error(err)
	}
}

func TestShadowErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		hint string
	}{
		{"no out", []string{"shadow", "export", "lan-small"}, "--out DIR is required"},
		{"attackers", []string{"shadow", "export", "spammer", "--out", t.TempDir()}, "the scenario has attackers"},
		{"no scenario", []string{"shadow", "export", "--out", t.TempDir()}, "export takes a scenario file"},
		{"no export", []string{"shadow", "report", t.TempDir()}, "is not a Shadow export"},
		{"extra argument", []string{"shadow", "what"}, "shadow takes a subcommand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkOneLineError(t, runArgs(t, tc.args...), 2, tc.hint)
		})
	}
}
