package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

// smallReport sets every field, with durations that are not whole
// milliseconds, so a field lost or rounded on the way shows up.
func smallReport() *Report {
	run := func(name string, k time.Duration) Run {
		return Run{
			Name: name, Sent: 10, Expected: 40, Delivered: 39, DeliveryRatio: 0.975,
			FirstLatency:      Latency{P50: 1234567, P95: 2345678, P99: 3456789, Max: 4567891, Count: 10},
			AllLatency:        Latency{P50: 11 * time.Millisecond, P95: 22 * time.Millisecond, P99: 33*time.Millisecond + k, Max: time.Second, Count: 9},
			LatencyCDF:        []Point{{X: 1.5, Y: 0.25}, {X: 33, Y: 1}},
			DeliveredOverTime: []Point{{X: 0, Y: 0}, {X: 2.5, Y: 39}},
			Nodes: []NodeStats{{Name: "n1", Role: "relay", BytesIn: 100, BytesOut: 200, Duplicates: 3, Delivered: 10, Expected: 10, CatchupBytes: 7},
				{Name: "n2", Role: "peer", BytesIn: 1, BytesOut: 2, Duplicates: 0, Delivered: 9, CatchupBytes: 0}},
			BytesPerNode:      Summary{Mean: 151.5, P50: 3, P95: 300, Max: 300},
			DuplicatesPerNode: Summary{Mean: 1.5, P50: 0, P95: 3, Max: 3},
			Catchup:           Catchup{Sessions: 2, Messages: 5, Bytes: 999},
			Convergence:       []Convergence{{Event: "heal", At: 1500 * time.Millisecond, Took: 250*time.Millisecond + 1, Converged: true}},
			QueueDrops:        4,
			CPUPerMessage:     123456 + k,
			CPU:               39 * (123456 + k),
			MemoryPerNode:     42 << 20,
			Events:            []Event{{At: time.Second, Kind: "partition", Detail: "a|b"}, {At: 1500 * time.Millisecond, Kind: "heal"}},
		}
	}
	return &Report{
		Scenario: "small", Seed: -7, Nodes: 2, SimDuration: 2500 * time.Millisecond, Wall: 987654321,
		Runs:   []Run{run("starling", 1), run("bare", 0)},
		Ratios: &Ratios{LatencyP99: 1.0000000303, CPUPerMessage: 1.0000081, DeliveryRatio: 1},
	}
}

func TestJSONGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, smallReport()); err != nil {
		t.Fatal(err)
	}
	golden(t, "small.json", b.Bytes())
}

func TestJSONRoundTrip(t *testing.T) {
	for name, r := range map[string]*Report{"small": smallReport(), "sample": sampleReport(), "empty": {}} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJSON(&b, r); err != nil {
				t.Fatal(err)
			}
			got, err := ReadJSON(&b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(r, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJSONDurationsInMilliseconds(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, smallReport()); err != nil {
		t.Fatal(err)
	}
	var raw struct {
		SimDuration float64 `json:"sim_duration_ms"`
		Runs        []struct {
			FirstLatency struct {
				P50 float64 `json:"p50_ms"`
			} `json:"first_latency"`
			CPU float64 `json:"cpu_ms"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if raw.SimDuration != 2500 || raw.Runs[0].FirstLatency.P50 != 1.234567 {
		t.Errorf("sim_duration_ms = %v, p50_ms = %v; want 2500 and 1.234567", raw.SimDuration, raw.Runs[0].FirstLatency.P50)
	}
}

func TestJSONDurationsSurvive(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 999, 1_000_001, 123_456_789_012, -5, 90 * 24 * time.Hour} {
		b, err := json.Marshal(millis(d))
		if err != nil {
			t.Fatal(err)
		}
		var m millis
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if time.Duration(m) != d {
			t.Errorf("%d ns came back as %d ns via %s", d, m, b)
		}
	}
}

func TestJSONNonFinite(t *testing.T) {
	nan := math.NaN()
	r := &Report{
		Runs: []Run{{DeliveryRatio: nan, LatencyCDF: []Point{{X: math.Inf(1), Y: nan}},
			BytesPerNode: Summary{Mean: nan}}},
		Ratios: &Ratios{LatencyP99: math.Inf(-1)},
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatalf("WriteJSON with NaN: %v", err)
	}
	if s := b.String(); strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
		t.Errorf("output contains a non-finite number:\n%s", s)
	}
	if _, err := ReadJSON(&b); err != nil {
		t.Errorf("ReadJSON: %v", err)
	}
}

func TestReadJSONErrors(t *testing.T) {
	for _, in := range []string{"", "{", `{"runs": 3}`, `{"sim_duration_ms": "1s"}`, `{"wall_ms": 1e300}`} {
		if _, err := ReadJSON(strings.NewReader(in)); err == nil {
			t.Errorf("ReadJSON(%q) succeeded, want an error", in)
		}
	}
	if _, err := ReadJSON(strings.NewReader(`{"scenario": "x", "future_field": [1]}`)); err != nil {
		t.Errorf("unknown fields must be ignored: %v", err)
	}
}
