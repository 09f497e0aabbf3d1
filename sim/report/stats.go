package report

import (
	"math"
	"slices"
	"time"
)

// maxSeriesPoints bounds the chart series the helpers build, so a run with
// millions of deliveries still gives a small JSON file and page.
const maxSeriesPoints = 256

// Latencies summarises ds with nearest-rank percentiles: the p-th percentile
// is the smallest sample with at least p% of the samples at or below it. The
// input need not be sorted and is not modified; empty input gives the zero
// Latency.
func Latencies(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Latency{
		P50:   s[rank(50, len(s))],
		P95:   s[rank(95, len(s))],
		P99:   s[rank(99, len(s))],
		Max:   s[len(s)-1],
		Count: len(s),
	}
}

// Summarize summarises xs (mean, nearest-rank p50 and p95, max). NaN and
// infinite values are skipped; input with no finite value gives the zero
// Summary. xs is not modified.
func Summarize(xs []float64) Summary {
	s := make([]float64, 0, len(xs))
	var sum float64
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		s = append(s, x)
		sum += x
	}
	if len(s) == 0 {
		return Summary{}
	}
	slices.Sort(s)
	return Summary{
		Mean: finite(sum / float64(len(s))),
		P50:  s[rank(50, len(s))],
		P95:  s[rank(95, len(s))],
		Max:  s[len(s)-1],
	}
}

// rank is the 0-based index of the nearest-rank p-th percentile of n>0
// sorted samples: ceil(p/100 * n) - 1, computed in integers so that 95% of
// 20 is exactly 19.
func rank(p, n int) int {
	r := (p*n + 99) / 100
	return max(r, 1) - 1
}

// LatencyCDF builds Run.LatencyCDF from delivery latencies: X is latency in
// milliseconds, Y the share of deliveries at or below it. Large inputs are
// sampled down to a few hundred points at evenly spaced shares, always
// keeping the fastest and slowest delivery. ds is not modified.
func LatencyCDF(ds []time.Duration) []Point {
	if len(ds) == 0 {
		return nil
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	steps := min(n, maxSeriesPoints)
	pts := make([]Point, 0, steps+1)
	add := func(i int) {
		p := Point{X: ms(s[i]), Y: float64(i+1) / float64(n)}
		// Equal latencies collapse into one point with the highest share.
		if k := len(pts) - 1; k >= 0 && pts[k].X == p.X {
			pts[k] = p
			return
		}
		pts = append(pts, p)
	}
	add(0)
	for j := 1; j <= steps; j++ {
		add((j*n+steps-1)/steps - 1)
	}
	return pts
}

// Cumulative builds Run.DeliveredOverTime from the sim times of individual
// deliveries: X is sim seconds, Y the deliveries made by then. The series
// starts at 0 and ends at end (or at the last delivery, if later), in at most
// a few hundred even steps. at is not modified.
func Cumulative(at []time.Duration, end time.Duration) []Point {
	s := slices.Clone(at)
	slices.Sort(s)
	if len(s) > 0 {
		end = max(end, s[len(s)-1])
	}
	if end <= 0 {
		if len(s) == 0 {
			return nil
		}
		return []Point{{X: 0, Y: float64(len(s))}}
	}
	pts := make([]Point, 0, maxSeriesPoints+1)
	i := 0
	for j := 0; j <= maxSeriesPoints; j++ {
		t := time.Duration(float64(end) * float64(j) / maxSeriesPoints)
		if j == maxSeriesPoints {
			t = end
		}
		for i < len(s) && s[i] <= t {
			i++
		}
		pts = append(pts, Point{X: t.Seconds(), Y: float64(i)})
	}
	return pts
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// finite returns x, or 0 when x is NaN or infinite, so that no division by
// zero reaches JSON (which rejects NaN) or a page.
func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}
