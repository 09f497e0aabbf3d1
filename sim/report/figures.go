package report

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// charts builds the page's four figures, each overlaying every run; the
// events of Runs[0] mark the timeline.
func charts(r *Report) []chart {
	var cdf, over, bytesRank, dupRank []series
	for i, run := range r.Runs {
		name, c := runName(r, i), runColor(i)
		cdf = append(cdf, series{name: name, pts: run.LatencyCDF, color: c})
		over = append(over, series{name: name, pts: run.DeliveredOverTime, color: c})
		b := make([]float64, len(run.Nodes))
		d := make([]float64, len(run.Nodes))
		for j, n := range run.Nodes {
			b[j], d[j] = float64(n.BytesIn+n.BytesOut), float64(n.Duplicates)
		}
		bytesRank = append(bytesRank, series{name: name, pts: rankSeries(b), color: c, fill: true})
		dupRank = append(dupRank, series{name: name, pts: rankSeries(d), color: c, fill: true})
	}
	var events []Event
	if len(r.Runs) > 0 {
		events = r.Runs[0].Events
	}
	return []chart{
		render(chartSpec{title: "Latency CDF",
			caption: "Share of deliveries made within a given time of publishing. Further left is faster; a long tail on the right is late delivery.",
			xLabel:  "latency", yLabel: "deliveries", xTick: msTick, yTick: shareTick,
			yMin: 0, yMax: 1, logX: true}, cdf),
		render(chartSpec{title: "Deliveries over time",
			caption: "Cumulative deliveries in simulated time; dashed lines mark the scenario's events.",
			xLabel:  "sim time", yLabel: "deliveries", xTick: secondsTick, yTick: shortTick,
			events: events}, over),
		render(chartSpec{title: "Bytes per node",
			caption: "Bytes sent plus received by each node, busiest first. A flat line is an even load; a spike on the left is a hot spot.",
			xLabel:  "node rank", yLabel: "bytes", xTick: shortTick, yTick: byteSize,
			yFromZero: true}, bytesRank),
		render(chartSpec{title: "Duplicates per node",
			caption: "Duplicate messages each node received, most first.",
			xLabel:  "node rank", yLabel: "duplicates", xTick: shortTick, yTick: shortTick,
			yFromZero: true}, dupRank),
	}
}

// rankSeries sorts per-node values high to low and returns them as X = rank
// (1 is the busiest node), Y = value, sampled down for large networks.
func rankSeries(values []float64) []Point {
	s := slices.Clone(values)
	slices.Sort(s)
	slices.Reverse(s)
	n := len(s)
	step := max(1, (n+maxSeriesPoints-1)/maxSeriesPoints)
	pts := make([]Point, 0, n/step+2)
	for i := 0; i < n; i += step {
		pts = append(pts, Point{X: float64(i + 1), Y: s[i]})
	}
	if n > 0 && (n-1)%step != 0 {
		pts = append(pts, Point{X: float64(n), Y: s[n-1]})
	}
	return pts
}

// Tick formatters.

func msTick(v float64) string      { return duration(time.Duration(v * float64(time.Millisecond))) }
func shareTick(v float64) string   { return fmt.Sprintf("%.0f%%", v*100) }
func secondsTick(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + " s" }

// shortTick formats counts as "950", "12k", "1.2M".
func shortTick(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e6), "0"), ".") + "M"
	case a >= 1e3:
		return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e3), "0"), ".") + "k"
	}
	return number(v)
}

// Colours. Runs keep one colour on every chart and in the tables; events are
// coloured by kind, matched in this order so that a kind naming two (such as
// "partition-heal") always gets the same one.
var (
	runColors = []color.Color{
		color.RGBA{0x0f, 0x76, 0x6e, 0xff}, // Starling: teal
		color.RGBA{0xc2, 0x41, 0x0c, 0xff}, // bare: orange
		color.RGBA{0x4f, 0x46, 0xe5, 0xff},
	}
	eventColors = []struct {
		kind  string
		color color.Color
	}{
		{"partition", color.RGBA{0xdc, 0x26, 0x26, 0xff}},
		{"heal", color.RGBA{0x16, 0xa3, 0x4a, 0xff}},
		{"churn", color.RGBA{0xca, 0x8a, 0x04, 0xff}},
		{"relay", color.RGBA{0x7c, 0x3a, 0xed, 0xff}},
	}
	otherEventColor = color.RGBA{0x6b, 0x72, 0x80, 0xff}
	gridColor       = color.RGBA{0xe5, 0xe7, 0xeb, 0xff}
	inkColor        = color.RGBA{0x37, 0x41, 0x51, 0xff}
)

// runColor is the colour of Runs[i].
func runColor(i int) color.Color { return runColors[i%len(runColors)] }

// eventColor colours an event by its kind, matched loosely so that
// "relay-down" and "partition-2" get the colour of their family.
func eventColor(kind string) color.Color {
	k := strings.ToLower(kind)
	for _, e := range eventColors {
		if strings.Contains(k, e.kind) {
			return e.color
		}
	}
	return otherEventColor
}

// hex is a colour as CSS "#rrggbb". The page puts it in style attributes; it
// comes from the palette above, never from input.
func hex(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}
