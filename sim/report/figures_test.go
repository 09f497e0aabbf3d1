package report

import (
	"math"
	"strings"
	"testing"
	"time"
)

// Odd but possible data still gives a chart for every series that has a
// finite point, and never a NaN in the SVG.
func TestChartsDegenerateData(t *testing.T) {
	nodes := []NodeStats{{BytesIn: math.MaxInt64 / 2}, {}}
	for name, run := range map[string]Run{
		"one point": {LatencyCDF: []Point{{5, 1}}, DeliveredOverTime: []Point{{0, 0}}, Nodes: nodes[:1],
			Events: []Event{{At: 0, Kind: "heal"}}},
		"flat": {LatencyCDF: []Point{{5, 1}, {5, 1}}, DeliveredOverTime: []Point{{1, 3}, {1, 3}}, Nodes: []NodeStats{{}, {}}},
		"huge": {LatencyCDF: []Point{{1e-9, 0.1}, {1e12, 1}}, DeliveredOverTime: []Point{{0, 0}, {1e9, 1e15}}, Nodes: nodes},
		"negative and NaN": {LatencyCDF: []Point{{-5, 0.1}, {0, 1}}, DeliveredOverTime: []Point{{-1, -3}, {math.NaN(), 3}},
			Nodes: nodes, Events: []Event{{At: -time.Hour, Kind: ""}}},
	} {
		t.Run(name, func(t *testing.T) {
			for _, c := range charts(&Report{Runs: []Run{run}}) {
				if c.Note != "" || c.SVG == "" {
					t.Errorf("%s: not drawn: %s", c.Title, c.Note)
				}
				if strings.Contains(string(c.SVG), "NaN") {
					t.Errorf("%s: SVG contains NaN", c.Title)
				}
			}
		})
	}
}

func TestChartsWithoutData(t *testing.T) {
	for _, c := range charts(&Report{Runs: []Run{{Name: "starling"}, {Name: "bare"}}}) {
		if c.SVG != "" || c.Note != "No data recorded." {
			t.Errorf("%s: want the no-data note, got note %q and %d bytes of SVG", c.Title, c.Note, len(c.SVG))
		}
	}
}

func TestRankSeries(t *testing.T) {
	got := rankSeries([]float64{1, 5, 3})
	want := []Point{{1, 5}, {2, 3}, {3, 1}}
	if len(got) != len(want) {
		t.Fatalf("rankSeries = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("rankSeries = %v, want %v", got, want)
		}
	}
	big := make([]float64, 10_001)
	for i := range big {
		big[i] = float64(i)
	}
	pts := rankSeries(big)
	if len(pts) > maxSeriesPoints+2 {
		t.Errorf("%d points for 10,001 nodes, want at most %d", len(pts), maxSeriesPoints+2)
	}
	if first, last := pts[0], pts[len(pts)-1]; first != (Point{1, 10_000}) || last != (Point{10_001, 0}) {
		t.Errorf("ends = %v, %v; want the busiest and the idlest node", first, last)
	}
}

func TestEventColor(t *testing.T) {
	if hex(eventColor("Partition-2")) != hex(eventColor("partition")) {
		t.Errorf("partition kinds differ in colour")
	}
	if hex(eventColor("partition-heal")) != hex(eventColor("partition")) {
		t.Errorf("a kind naming two families must take the first listed")
	}
	if hex(eventColor("meteor")) != hex(otherEventColor) {
		t.Errorf("unknown kinds must be grey")
	}
}
