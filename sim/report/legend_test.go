package report

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"
)

func TestLegendLayout(t *testing.T) {
	xs, rowOf, rows := legendLayout([]vg.Length{100, 100, 100, 100, 100}, 420)
	wantX := []vg.Length{legendLeft, legendLeft + 100 + legendGap, legendLeft + 2*(100+legendGap), legendLeft, legendLeft + 100 + legendGap}
	if rows != 2 || !slices.Equal(rowOf, []int{0, 0, 0, 1, 1}) || !slices.Equal(xs, wantX) {
		t.Errorf("layout: x %v, rows %v (%d); want x %v, rows [0 0 0 1 1] (2)", xs, rowOf, rows, wantX)
	}
	// An entry wider than the strip still gets a row of its own.
	if _, rowOf, rows := legendLayout([]vg.Length{500, 10}, 420); rows != 2 || !slices.Equal(rowOf, []int{0, 1}) {
		t.Errorf("a wide entry: rows %v (%d), want [0 1] (2)", rowOf, rows)
	}
	if _, _, rows := legendLayout(nil, 420); rows != 0 {
		t.Errorf("no entries make %d rows", rows)
	}
}

var (
	svgText = regexp.MustCompile(`<text x="[-0-9.]+" y="(-?[0-9.]+)"[^>]*>([^<]*)</text>`)
	svgPath = regexp.MustCompile(`<path d="([^"]*)"`)
	svgNums = regexp.MustCompile(`-?[0-9]+(?:\.[0-9]+)?`)
)

// Issue 18: the legend sat inside the timeline chart and covered the event
// markers and their labels. It now has a strip of its own above the plot:
// nothing but the legend's names and sample lines is drawn there, and all
// of them are.
func TestLegendAbovePlot(t *testing.T) {
	events := []Event{{At: 2 * time.Second, Kind: "load"}, {At: 30 * time.Second, Kind: "partition"},
		{At: 60 * time.Second, Kind: "heal"}, {At: 120 * time.Second, Kind: "health"}}
	over := []series{
		{name: "starling", pts: []Point{{0, 0}, {60, 500}, {120, 1000}}, color: runColor(0)},
		{name: "bare", pts: []Point{{0, 0}, {60, 400}, {120, 990}}, color: runColor(1)},
	}
	c := render(chartSpec{title: "Deliveries over time", xTick: secondsTick, yTick: shortTick, events: events}, over)
	if c.SVG == "" {
		t.Fatalf("not drawn: %s", c.Note)
	}
	svg := string(c.SVG)
	// gonum draws with Y upwards: a text at y="-Y" sits Y points above the
	// bottom, and the plot ends chartHeight points above it.
	legend := []string{"starling", "bare", "load", "partition", "heal", "health"}
	var inStrip []string
	for _, m := range svgText.FindAllStringSubmatch(svg, -1) {
		y, _ := strconv.ParseFloat(strings.TrimPrefix(m[1], "-"), 64)
		if y > float64(chartHeight) {
			inStrip = append(inStrip, m[2])
		}
	}
	if !slices.Equal(inStrip, legend) {
		t.Errorf("texts above the plot: %q, want the legend %q", inStrip, legend)
	}
	thumbs := 0
	for _, m := range svgPath.FindAllStringSubmatch(svg, -1) {
		nums := svgNums.FindAllString(m[1], -1)
		above := false
		for i := 1; i < len(nums); i += 2 {
			y, _ := strconv.ParseFloat(nums[i], 64)
			above = above || y > float64(chartHeight)
		}
		if above {
			thumbs++
			if len(nums) != 4 || nums[1] != nums[3] {
				t.Errorf("a path reaches above the plot that is not a legend's sample line: %s", m[1])
			}
		}
	}
	if thumbs != len(legend) {
		t.Errorf("%d sample lines above the plot, want %d", thumbs, len(legend))
	}
}
