package report

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"
)

// bigReport is a two-run report with 10,000 nodes, a million latency samples
// behind its CDF and 500 churn events.
func bigReport(b *testing.B) *Report {
	b.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	lat := make([]time.Duration, 1_000_000)
	at := make([]time.Duration, len(lat))
	for i := range lat {
		lat[i] = time.Duration(rng.ExpFloat64() * float64(80*time.Millisecond))
		at[i] = time.Duration(rng.Int64N(int64(10 * time.Minute)))
	}
	run := Run{Name: "starling", Sent: 5000, Expected: len(lat), Delivered: len(lat),
		FirstLatency: Latencies(lat[:5000]), AllLatency: Latencies(lat[5000:10000]),
		LatencyCDF: LatencyCDF(lat), DeliveredOverTime: Cumulative(at, 10*time.Minute), CPU: time.Minute}
	for i := range 10_000 {
		run.Nodes = append(run.Nodes, NodeStats{Name: fmt.Sprintf("n%05d", i), Role: "peer",
			BytesIn: rng.Int64N(1e7), BytesOut: rng.Int64N(1e7), Duplicates: rng.Int64N(1e3),
			Delivered: rng.Int64N(5000), Expected: 5000})
	}
	for i := range 500 {
		run.Events = append(run.Events, Event{At: time.Duration(i) * time.Second, Kind: "churn", Detail: "node leaves"})
	}
	run.Derive()
	bare := run
	bare.Name = "bare"
	return &Report{Scenario: "big", Nodes: 10_000, SimDuration: 10 * time.Minute, Runs: []Run{run, bare}, Ratios: Compare(run, bare)}
}

func BenchmarkWriteHTML(b *testing.B) {
	r := bigReport(b)
	for b.Loop() {
		if err := WriteHTML(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteJSON(b *testing.B) {
	r := bigReport(b)
	for b.Loop() {
		if err := WriteJSON(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLatencies(b *testing.B) {
	lat := make([]time.Duration, 1_000_000)
	for i := range lat {
		lat[i] = time.Duration(i*7919%len(lat)) * time.Microsecond
	}
	for b.Loop() {
		Latencies(lat)
	}
}

func BenchmarkProgressUpdate(b *testing.B) {
	p := NewProgress(io.Discard, time.Minute)
	i := 0
	for b.Loop() {
		i++
		p.Update(time.Duration(i), i)
	}
}
