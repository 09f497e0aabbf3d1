package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"starling/sim/report"
)

// tinyScenario runs in a few seconds of real time: three attendees on a
// LAN, one message each.
const tinyScenario = `
name: tiny
description: three attendees, one message each
duration: 4s
nodes: {attendees: 3}
topology: {peers: 2}
groups: [{name: lobby}]
load: [{each: 1, start: 1500ms, stop: 2500ms}]
`

func TestSimRuns(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(file, []byte(tinyScenario), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	r := newHome(t).ok("sim", file, "--out", out, "--json", "--seed", "3")
	rep, err := report.ReadJSON(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatalf("stdout is not a report: %v\n%s", err, r)
	}
	if rep.Scenario != "tiny" || rep.Seed != 3 || len(rep.Runs) != 1 || rep.Runs[0].Sent != 3 || rep.Runs[0].Expected != 6 {
		t.Errorf("report: scenario %q, seed %d, %d runs; want tiny, 3, one run of 3 messages to 2 others each\n%s",
			rep.Scenario, rep.Seed, len(rep.Runs), r)
	}
	if rep.Runs[0].Delivered == 0 {
		t.Errorf("nothing was delivered in a 3-node LAN\n%s", r)
	}
	for _, f := range []string{"report.json", "report.html"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(r.stderr, "report: "+filepath.Join(out, "report.json")) {
		t.Errorf("stderr does not say where the report went:\n%s", r)
	}
}

func TestSimErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("duration: 1m\nnodes: {attendees: 3}\ngroups: [{name: lobby}]\ntopology: {kind: ring}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unknown := filepath.Join(dir, "unknown.yaml")
	if err := os.WriteFile(unknown, []byte("duration: 1m\nnodez: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHome(t)
	for _, tc := range []struct {
		name string
		args []string
		hint string
	}{
		{"bad field", []string{"sim", bad}, `topology.kind: "ring" is not a topology`},
		{"unknown field", []string{"sim", unknown}, `unknown field "nodez"`},
		{"missing file", []string{"sim", filepath.Join(dir, "none.yaml")}, "no scenario file"},
		{"unknown built-in", []string{"sim", "ballroom"}, "the built-in ones are"},
		{"bad scale", []string{"sim", "lan-small", "--scale", "0"}, "--scale"},
		{"no scenario", []string{"sim"}, "sim takes a scenario file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkOneLineError(t, h.in(t).run(tc.args...), 2, tc.hint)
		})
	}
}
