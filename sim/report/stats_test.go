package report

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLatencies(t *testing.T) {
	ms := time.Millisecond
	seq := func(n int) []time.Duration { // 1ms..n ms, shuffled deterministically
		ds := make([]time.Duration, n)
		for i := range ds {
			ds[i] = time.Duration((i*7)%n+1) * ms
		}
		return ds
	}
	tests := []struct {
		name string
		in   []time.Duration
		want Latency
	}{
		{"empty", nil, Latency{}},
		{"one", []time.Duration{5 * ms}, Latency{P50: 5 * ms, P95: 5 * ms, P99: 5 * ms, Max: 5 * ms, Count: 1}},
		{"two", []time.Duration{9 * ms, 1 * ms}, Latency{P50: 1 * ms, P95: 9 * ms, P99: 9 * ms, Max: 9 * ms, Count: 2}},
		// Unsorted with a tie: sorted 1 2 3 3 10; p50 is rank ceil(2.5)=3.
		{"unsorted", []time.Duration{3 * ms, 10 * ms, 1 * ms, 3 * ms, 2 * ms},
			Latency{P50: 3 * ms, P95: 10 * ms, P99: 10 * ms, Max: 10 * ms, Count: 5}},
		// 1..20: p50 rank 10, p95 rank 19 (exactly 95% of 20), p99 rank 20.
		{"twenty", seq(20), Latency{P50: 10 * ms, P95: 19 * ms, P99: 20 * ms, Max: 20 * ms, Count: 20}},
		// 1..100: each percentile is its own rank.
		{"hundred", seq(100), Latency{P50: 50 * ms, P95: 95 * ms, P99: 99 * ms, Max: 100 * ms, Count: 100}},
		// 1..1000: p99 is rank 990.
		{"thousand", seq(1000), Latency{P50: 500 * ms, P95: 950 * ms, P99: 990 * ms, Max: 1000 * ms, Count: 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			if got := Latencies(tt.in); got != tt.want {
				t.Errorf("Latencies = %+v, want %+v", got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("Latencies reordered its input")
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want Summary
	}{
		{"empty", nil, Summary{}},
		{"only NaN", []float64{math.NaN(), math.Inf(1)}, Summary{}},
		{"one", []float64{4}, Summary{Mean: 4, P50: 4, P95: 4, Max: 4}},
		{"unsorted", []float64{10, 2, 6, 4}, Summary{Mean: 5.5, P50: 4, P95: 10, Max: 10}},
		{"NaN skipped", []float64{1, math.NaN(), 3}, Summary{Mean: 2, P50: 1, P95: 3, Max: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Summarize(tt.in); got != tt.want {
				t.Errorf("Summarize = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLatencyCDF(t *testing.T) {
	ms := time.Millisecond
	t.Run("small is exact", func(t *testing.T) {
		got := LatencyCDF([]time.Duration{30 * ms, 10 * ms, 10 * ms, 20 * ms})
		want := []Point{{10, 0.5}, {20, 0.75}, {30, 1}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("LatencyCDF (-want +got):\n%s", diff)
		}
	})
	t.Run("empty", func(t *testing.T) {
		if got := LatencyCDF(nil); len(got) != 0 {
			t.Errorf("LatencyCDF(nil) = %v, want empty", got)
		}
	})
	t.Run("large is sampled", func(t *testing.T) {
		ds := make([]time.Duration, 100_000)
		for i := range ds {
			ds[i] = time.Duration(len(ds)-i) * time.Microsecond
		}
		got := LatencyCDF(ds)
		if len(got) > maxSeriesPoints+1 {
			t.Fatalf("got %d points, want at most %d", len(got), maxSeriesPoints+1)
		}
		first, last := got[0], got[len(got)-1]
		if first.X != 0.001 || last.X != 100 || last.Y != 1 {
			t.Errorf("ends = %v, %v; want the fastest (0.001 ms) and the slowest (100 ms) at share 1", first, last)
		}
		for i := 1; i < len(got); i++ {
			if got[i].X <= got[i-1].X || got[i].Y <= got[i-1].Y {
				t.Fatalf("not increasing at %d: %v then %v", i, got[i-1], got[i])
			}
		}
	})
}

func TestCumulative(t *testing.T) {
	s := time.Second
	got := Cumulative([]time.Duration{3 * s, 1 * s, 1 * s}, 4*s)
	if len(got) != maxSeriesPoints+1 {
		t.Fatalf("got %d points, want %d", len(got), maxSeriesPoints+1)
	}
	at := func(x float64) float64 { // the count at the last point at or before x
		y := -1.0
		for _, p := range got {
			if p.X <= x {
				y = p.Y
			}
		}
		return y
	}
	for _, c := range []struct{ x, want float64 }{{0, 0}, {0.99, 0}, {1, 2}, {2.5, 2}, {3, 3}, {4, 3}} {
		if y := at(c.x); y != c.want {
			t.Errorf("deliveries by %v s = %v, want %v", c.x, y, c.want)
		}
	}
	if last := got[len(got)-1]; last.X != 4 {
		t.Errorf("series ends at %v s, want 4", last.X)
	}
	if got := Cumulative(nil, 0); len(got) != 0 {
		t.Errorf("Cumulative(nil, 0) = %v, want empty", got)
	}
	if got := Cumulative([]time.Duration{5 * s}, 2*s); got[len(got)-1] != (Point{5, 1}) {
		t.Errorf("a delivery after end must extend the series, got last %v", got[len(got)-1])
	}
}

func TestDeriveAndCompare(t *testing.T) {
	r := Run{Expected: 0, Delivered: 0, CPU: time.Second}
	r.Derive()
	if r.DeliveryRatio != 0 || r.CPUPerMessage != 0 {
		t.Errorf("zero deliveries: ratio %v, cpu/msg %v; want 0, 0", r.DeliveryRatio, r.CPUPerMessage)
	}
	r = Run{Expected: 200, Delivered: 150, CPU: 3 * time.Second,
		Nodes: []NodeStats{{BytesIn: 10, BytesOut: 20, Duplicates: 1}, {BytesIn: 50, BytesOut: 50, Duplicates: 5}}}
	r.Derive()
	if r.DeliveryRatio != 0.75 || r.CPUPerMessage != 20*time.Millisecond {
		t.Errorf("ratio %v, cpu/msg %v; want 0.75, 20ms", r.DeliveryRatio, r.CPUPerMessage)
	}
	if want := (Summary{Mean: 65, P50: 30, P95: 100, Max: 100}); r.BytesPerNode != want {
		t.Errorf("BytesPerNode = %+v, want %+v", r.BytesPerNode, want)
	}
	if want := (Summary{Mean: 3, P50: 1, P95: 5, Max: 5}); r.DuplicatesPerNode != want {
		t.Errorf("DuplicatesPerNode = %+v, want %+v", r.DuplicatesPerNode, want)
	}

	s := Run{AllLatency: Latency{P99: 110 * time.Millisecond}, CPUPerMessage: 30 * time.Microsecond, DeliveryRatio: 0.99}
	b := Run{AllLatency: Latency{P99: 100 * time.Millisecond}, CPUPerMessage: 0, DeliveryRatio: 0.9}
	got := Compare(s, b)
	if math.Abs(got.LatencyP99-1.1) > 1e-12 || got.CPUPerMessage != 0 || math.Abs(got.DeliveryRatio-1.1) > 1e-12 {
		t.Errorf("Compare = %+v, want latency 1.1, cpu 0 (bare is 0), delivery 1.1", got)
	}
}
