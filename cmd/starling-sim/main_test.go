package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"starling/sim"
	"starling/sim/report"
)

// result is what one run of the command did.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

func runArgs(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// checkOneLineError checks a failure's exit status and its one line on
// stderr.
func checkOneLineError(t *testing.T, r result, code int, hint string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d\n%s", r.code, code, r)
	}
	if r.stdout != "" {
		t.Errorf("printed on stdout:\n%s", r)
	}
	if !strings.HasPrefix(r.stderr, "starling-sim: ") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr is not one line starting with `starling-sim: `:\n%s", r)
	}
	if !strings.Contains(r.stderr, hint) {
		t.Errorf("stderr does not say %q:\n%s", hint, r)
	}
}

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

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSimRuns(t *testing.T) {
	file := writeFile(t, "tiny.yaml", tinyScenario)
	out := filepath.Join(t.TempDir(), "out")
	r := runArgs(t, file, "--out", out, "--json", "--seed", "3")
	if r.code != 0 {
		t.Fatalf("failed:\n%s", r)
	}
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
	bad := writeFile(t, "bad.yaml", "duration: 1m\nnodes: {attendees: 3}\ngroups: [{name: lobby}]\ntopology: {kind: ring}\n")
	unknown := writeFile(t, "unknown.yaml", "duration: 1m\nnodez: 3\n")
	for _, tc := range []struct {
		name string
		args []string
		hint string
	}{
		{"bad field", []string{bad}, `topology.kind: "ring" is not a topology`},
		{"unknown field", []string{unknown}, `unknown field "nodez"`},
		{"missing file", []string{filepath.Join(t.TempDir(), "none.yaml")}, "no scenario file"},
		{"unknown built-in", []string{"ballroom"}, "the built-in ones are"},
		{"bad scale", []string{"lan-small", "--scale", "0"}, "--scale"},
		{"negative memory limit", []string{"lan-small", "--memory-limit", "-1"}, "--memory-limit -1"},
		{"no scenario", nil, "starling-sim takes a scenario file"},
		{"bad flag", []string{"lan-small", "--seeds", "3"}, "unknown flag: --seeds"},
		{"bad log level", []string{"lan-small", "--log-level", "loud"}, `--log-level "loud"`},
		{"two names", []string{"scenarios", "a", "b"}, "at most one name"},
		{"unknown scenario to print", []string{"scenarios", "ballroom"}, "the built-in ones are"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkOneLineError(t, runArgs(t, tc.args...), 2, tc.hint)
		})
	}
}

// Issue 18: `sim --help` sent people with only the binary to the source
// tree for scenarios. The help names the built-ins and the command that
// prints them; `scenarios` lists and prints them.
func TestHelpAndScenarios(t *testing.T) {
	r := runArgs(t, "--help")
	if r.code != 0 {
		t.Fatalf("--help failed:\n%s", r)
	}
	if strings.Contains(r.stdout, "in the source)") || strings.Contains(r.stdout, "sim/scenarios") {
		t.Errorf("--help sends people to the source tree for scenarios:\n%s", r.stdout)
	}
	for _, want := range []string{"starling-sim scenarios", "lan-small", "conference-hall", "starling-sim shadow"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--help does not mention %q:\n%s", want, r.stdout)
		}
	}

	r = runArgs(t, "scenarios")
	if r.code != 0 {
		t.Fatalf("scenarios failed:\n%s", r)
	}
	for _, name := range sim.Builtins() {
		sc, err := sim.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.stdout, name) || !strings.Contains(r.stdout, sc.Description) {
			t.Errorf("scenarios does not list %s with its description:\n%s", name, r.stdout)
		}
	}

	// What `scenarios NAME` prints runs as a scenario file of its own.
	r = runArgs(t, "scenarios", "lan-small")
	if r.code != 0 || !strings.Contains(r.stdout, "name: lan-small") {
		t.Fatalf("scenarios lan-small:\n%s", r)
	}
	sc, err := sim.ReadFile(writeFile(t, "mine.yaml", r.stdout))
	if err != nil {
		t.Fatalf("the printed scenario does not parse: %v", err)
	}
	want, _ := sim.Builtin("lan-small")
	if sc.Nodes != want.Nodes || sc.Duration != want.Duration {
		t.Errorf("printed scenario %+v differs from the built-in %+v", sc.Nodes, want.Nodes)
	}
}
