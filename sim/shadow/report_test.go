package shadow

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"starling/sim"
	"starling/simhost"
)

// fakeRun writes the event logs a run of the export in dir would leave in
// data: every planned message sent on time and stored by every other
// member after delay, by catch-up for the members listed in late.
func fakeRun(t *testing.T, dir, data string, delay time.Duration, edit func(host string, events []simhost.Event) []simhost.Event) {
	t.Helper()
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Blueprint(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	logs := make([][]simhost.Event, len(b.Hosts))
	for i, h := range m.Hosts {
		logs[i] = append(logs[i], simhost.Event{T: m.Start.Add(-time.Second), Kind: simhost.EventStart, Host: h.Name, Peer: h.Peer})
	}
	for _, msg := range b.Messages {
		id := fmt.Sprintf("%064x", msg.Index+1)
		at := m.Start.Add(msg.At)
		k := msg.Index
		logs[msg.Sender] = append(logs[msg.Sender],
			simhost.Event{T: at, Kind: simhost.EventSent, Msg: &k, ID: id},
			simhost.Event{T: at.Add(time.Millisecond), Kind: simhost.EventStored, ID: id, Origin: "own"})
		for _, r := range b.Groups[msg.Group].Members {
			if r != msg.Sender {
				logs[r] = append(logs[r], simhost.Event{T: at.Add(delay), Kind: simhost.EventStored, ID: id, Origin: "gossip"})
			}
		}
	}
	for i, h := range m.Hosts {
		logs[i] = append(logs[i], simhost.Event{T: m.Start.Add(b.Scenario.Duration.D()), Kind: simhost.EventStats,
			Stats: &simhost.Counters{BytesIn: int64(1000 * (i + 1)), BytesOut: 500}})
		if edit != nil {
			logs[i] = edit(h.Name, logs[i])
		}
		if logs[i] == nil {
			continue
		}
		hostDir := filepath.Join(data, "hosts", h.Name)
		if err := os.MkdirAll(hostDir, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(hostDir, EventsFile))
		if err != nil {
			t.Fatal(err)
		}
		w := simhost.NewWriter(f)
		for _, e := range logs[i] {
			if err := w.Write(e); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
	}
}

func TestReadRun(t *testing.T) {
	dir := t.TempDir()
	if _, err := Export(dir, blueprint(t, goldenScenario), Config{}); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, DataDir)
	fakeRun(t, dir, data, 7*time.Millisecond, nil)
	rep, err := ReadRun(dir, Run{Data: data, Notes: []string{"a test run"}})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Runs[0]
	if rep.Scenario != "golden" || rep.Seed != 5 || rep.Nodes != 4 {
		t.Errorf("report of %s seed %d with %d nodes", rep.Scenario, rep.Seed, rep.Nodes)
	}
	// Three to lobby (two others each), two to crew (one other each).
	if r.Sent != 5 || r.Expected != 8 || r.Delivered != 8 {
		t.Errorf("sent %d, expected %d, delivered %d; want 5, 8, 8", r.Sent, r.Expected, r.Delivered)
	}
	if r.FirstLatency.P50 != 7*time.Millisecond || r.AllLatency.P99 != 7*time.Millisecond {
		t.Errorf("latencies %+v %+v, want 7 ms", r.FirstLatency, r.AllLatency)
	}
	if r.Nodes[1].BytesIn != 2000 || r.Nodes[1].Name != "attendee-0" {
		t.Errorf("node 1: %+v", r.Nodes[1])
	}
	var notes []string
	for _, e := range r.Events {
		if e.Kind == sim.EventRun {
			notes = append(notes, e.Detail)
		}
	}
	all := strings.Join(notes, "\n")
	for _, want := range []string{"a test run", "TCP", "jitter", "libp2p stream bytes"} {
		if !strings.Contains(all, want) {
			t.Errorf("the report's notes do not say %q:\n%s", want, all)
		}
	}
}

func TestReadRunErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Export(dir, blueprint(t, goldenScenario), Config{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(string, []simhost.Event) []simhost.Event
		want string
	}{
		{"a host without a log", func(h string, es []simhost.Event) []simhost.Event {
			if h == "attendee-1" {
				return nil
			}
			return es
		}, "no event log at"},
		{"a host with another's keys", func(h string, es []simhost.Event) []simhost.Event {
			if h == "attendee-1" {
				es[0].Peer = "12D3KooWsomeoneelse"
			}
			return es
		}, "attendee-1's log says it ran as 12D3KooWsomeoneelse"},
		{"a message sent by the wrong host", func(h string, es []simhost.Event) []simhost.Event {
			if h == "relay-0" {
				k := 0
				es = append(es, simhost.Event{T: es[0].T, Kind: simhost.EventSent, Msg: &k, ID: "ff"})
			}
			return es
		}, "relay-0's log says it sent message 0"},
		{"a host that never started", func(h string, es []simhost.Event) []simhost.Event {
			if h == "attendee-2" {
				return es[1:]
			}
			return es
		}, "attendee-2 never started"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			fakeRun(t, dir, data, time.Millisecond, tc.edit)
			if _, err := ReadRun(dir, Run{Data: data}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}

	// What a run lacked becomes a note, not a failure.
	data := t.TempDir()
	fakeRun(t, dir, data, time.Millisecond, func(h string, es []simhost.Event) []simhost.Event {
		if h == "attendee-0" {
			return es[:len(es)-1] // no stats: killed
		}
		return es
	})
	rep, err := ReadRun(dir, Run{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range rep.Runs[0].Events {
		found = found || strings.Contains(e.Detail, "no counters from attendee-0 (")
	}
	if !found {
		t.Errorf("no note on the host without counters: %+v", rep.Runs[0].Events)
	}

	if _, err := ReadRun(t.TempDir(), Run{Data: data}); err == nil || !strings.Contains(err.Error(), "is not a Shadow export") {
		t.Errorf("a directory that is no export: %v", err)
	}
}

// A run elsewhere (the network lab) starts the scenario at its own zero,
// which the hosts' start events say; the report reads it from them.
func TestReadRunZeroFromLogs(t *testing.T) {
	dir := t.TempDir()
	if _, err := Export(dir, blueprint(t, goldenScenario), Config{}); err != nil {
		t.Fatal(err)
	}
	shift := 26 * 365 * 24 * time.Hour
	zero := Epoch.Add(startAfter).Add(shift)
	moved := func(h string, es []simhost.Event) []simhost.Event {
		for i := range es {
			es[i].T = es[i].T.Add(shift)
		}
		if h != "relay-0" { // the relay runs no script, so it says no zero
			es[0].Zero = zero
		}
		return es
	}
	data := t.TempDir()
	fakeRun(t, dir, data, 7*time.Millisecond, moved)
	rep, err := ReadRun(dir, Run{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Runs[0]; r.Expected != 8 || r.Delivered != 8 || r.FirstLatency.P50 != 7*time.Millisecond {
		t.Errorf("expected %d, delivered %d, first p50 %s; want 8, 8, 7 ms", r.Expected, r.Delivered, r.FirstLatency.P50)
	}

	data = t.TempDir()
	fakeRun(t, dir, data, time.Millisecond, func(h string, es []simhost.Event) []simhost.Event {
		es = moved(h, es)
		if h == "attendee-2" {
			es[0].Zero = zero.Add(time.Second)
		}
		return es
	})
	if _, err := ReadRun(dir, Run{Data: data}); err == nil || !strings.Contains(err.Error(), "not of one run") {
		t.Errorf("logs that disagree on the zero: %v", err)
	}
}
