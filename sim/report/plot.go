package report

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// chart is one figure on the page: an inline SVG, or Note saying why there is
// none (no data, or the plotting library failed).
type chart struct {
	Title   string
	Caption string
	SVG     template.HTML
	Note    string
}

// series is one run's line on a chart.
type series struct {
	name  string
	pts   []Point
	color color.Color
	fill  bool // shade the area under the line
}

// chartSpec describes a line chart; the formatters label the ticks.
type chartSpec struct {
	title, caption string
	xLabel, yLabel string
	xTick, yTick   func(float64) string
	yMin, yMax     float64 // fixed Y range when yMax > yMin
	yFromZero      bool    // start the Y axis at 0
	logX           bool    // use a log X axis when the data is positive and spans enough
	events         []Event // vertical markers at X = sim seconds
}

// Sizes in points (vg.Length's unit).
const (
	// The page scales charts to its column (about 500 px), so the canvas size
	// sets the text size: 420 pt across makes 10 pt text read as about 12 px.
	chartWidth  vg.Length = 420
	chartHeight vg.Length = 240
	// rightMargin keeps the right-most tick label inside the canvas; gonum
	// centres it on the last tick and lets it overflow.
	rightMargin vg.Length = 14
)

// sans is the Liberation variant the charts measure their text with. The
// page's CSS names it first and Arial, which has the same metrics, next, so
// that labels fit where the font is not installed.
const sans = "Sans"

var errNoData = errors.New("no data recorded")

// render draws spec with its series into a chart, turning a plotting failure
// (including a panic inside the plotting library) into a note on the page:
// one bad chart must not cost the whole report.
func render(spec chartSpec, ss []series) (c chart) {
	c = chart{Title: spec.title, Caption: spec.caption}
	defer func() {
		if p := recover(); p != nil {
			c.SVG, c.Note = "", fmt.Sprintf("Chart could not be drawn: %v", p)
		}
	}()
	svg, err := drawSVG(spec, ss)
	switch {
	case errors.Is(err, errNoData):
		c.Note = "No data recorded."
	case err != nil:
		c.Note = "Chart could not be drawn: " + err.Error()
	default:
		c.SVG = svg
	}
	return c
}

func drawSVG(spec chartSpec, ss []series) (template.HTML, error) {
	var lines []*plotter.Line
	var names []string
	lo, hi, top := math.Inf(1), math.Inf(-1), 0.0
	for _, s := range ss {
		xys := make(plotter.XYs, 0, len(s.pts))
		for _, p := range s.pts {
			if finite(p.X) != p.X || finite(p.Y) != p.Y {
				continue
			}
			xys = append(xys, plotter.XY{X: p.X, Y: p.Y})
			lo, hi, top = min(lo, p.X), max(hi, p.X), max(top, p.Y)
		}
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return "", err
		}
		l.LineStyle.Color, l.LineStyle.Width = s.color, vg.Points(1.6)
		if s.fill && len(ss) == 1 { // two shaded areas overlap into mud
			r, g, b, _ := s.color.RGBA()
			l.FillColor = color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0x28}
		}
		lines, names = append(lines, l), append(names, s.name)
	}
	if len(lines) == 0 {
		return "", errNoData
	}

	p := plot.New()
	style(p, spec)
	p.Add(&plotter.Grid{
		Vertical:   draw.LineStyle{Color: gridColor, Width: vg.Points(0.5)},
		Horizontal: draw.LineStyle{Color: gridColor, Width: vg.Points(0.5)},
	})
	if spec.yMax > spec.yMin {
		p.Y.Min, p.Y.Max, top = spec.yMin, spec.yMax, spec.yMax
	}
	var legend []legendEntry
	for i, l := range lines {
		legend = append(legend, legendEntry{names[i], l})
	}
	kinds, err := addEvents(p, spec.events, max(top, 1), lo, hi)
	if err != nil {
		return "", err
	}
	legend = append(legend, kinds...)
	for _, l := range lines {
		p.Add(l)
	}
	if spec.yFromZero {
		p.Y.Min = min(p.Y.Min, 0)
	}
	// A log axis only when the data is all positive and spans enough for it
	// to help: latencies from 20 ms to 20 s after a heal.
	if spec.logX && lo > 0 && hi/lo >= 50 {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = labelTicks{plot.LogTicks{Prec: -1}, spec.xTick}
	}

	strip := legendHeight(legend, chartWidth)
	canvas := vgsvg.New(chartWidth, chartHeight+strip)
	dc := draw.New(canvas)
	drawLegend(draw.Crop(dc, 0, 0, chartHeight, 0), legend)
	p.Draw(draw.Crop(dc, 0, -rightMargin, 0, -strip))
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return "", err
	}
	return inlineSVG(buf.Bytes(), spec.title), nil
}

// style sets fonts, colours and tick formatters.
func style(p *plot.Plot, spec chartSpec) {
	p.BackgroundColor = nil // the page's background shows through
	p.X.Label.Text, p.Y.Label.Text = spec.xLabel, spec.yLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(10)
		a.Label.TextStyle.Font.Variant = sans
		a.Label.TextStyle.Color = inkColor
		a.Tick.Label.Font.Size = vg.Points(10)
		a.Tick.Label.Font.Variant = sans
		a.Tick.Label.Color = inkColor
		a.LineStyle.Color = inkColor
		a.Tick.LineStyle.Color = inkColor
	}
	if spec.xTick != nil {
		p.X.Tick.Marker = labelTicks{plot.DefaultTicks{}, spec.xTick}
	}
	if spec.yTick != nil {
		p.Y.Tick.Marker = labelTicks{plot.DefaultTicks{}, spec.yTick}
	}
}

// maxEventLabels bounds the text labels on the timeline; with more events
// the lines and the legend remain and the events table has the details.
const maxEventLabels = 8

// addEvents draws a dashed vertical line per event from 0 to top and
// returns one legend entry per kind. When there are few events it also
// labels them, stepping a label down a row when it would run into the one
// before; lo and hi are the data's X range.
func addEvents(p *plot.Plot, events []Event, top, lo, hi float64) ([]legendEntry, error) {
	for _, e := range events {
		lo, hi = min(lo, e.At.Seconds()), max(hi, e.At.Seconds())
	}
	gap := (hi - lo) / 9 // room for a label such as "partition"
	rowEnds := []float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	seen := map[string]bool{}
	var kinds []legendEntry
	var labels plotter.XYLabels
	for _, e := range events {
		x := e.At.Seconds()
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: top}})
		if err != nil {
			return nil, err
		}
		l.LineStyle.Color, l.LineStyle.Width = eventColor(e.Kind), vg.Points(1)
		l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		if !seen[e.Kind] {
			seen[e.Kind] = true
			kinds = append(kinds, legendEntry{e.Kind, l})
		}
		if len(events) > maxEventLabels {
			continue
		}
		for row, end := range rowEnds {
			if x-end >= gap {
				rowEnds[row] = x
				labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: top * (1 - 0.07*float64(row))})
				labels.Labels = append(labels.Labels, e.Kind)
				break
			}
		}
	}
	if len(labels.XYs) == 0 {
		return kinds, nil
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font.Size = vg.Points(9)
		l.TextStyle[i].Font.Variant = sans
		l.TextStyle[i].Color = inkColor
	}
	l.Offset = vg.Point{X: vg.Points(3), Y: vg.Points(-10)}
	p.Add(l)
	return kinds, nil
}

// labelTicks keeps a Ticker's positions and relabels its major ticks.
type labelTicks struct {
	plot.Ticker
	format func(float64) string
}

func (t labelTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := t.Ticker.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" && t.format != nil {
			ts[i].Label = t.format(ts[i].Value)
		}
	}
	return ts
}

// inlineSVG makes gonum's standalone SVG document fit inside HTML: it drops
// the XML prolog and comment before <svg, and labels the image for screen
// readers. gonum escapes the text it draws, and title is escaped here.
func inlineSVG(doc []byte, title string) template.HTML {
	i := bytes.Index(doc, []byte("<svg"))
	if i < 0 {
		return ""
	}
	doc = doc[i+len("<svg"):]
	return template.HTML(`<svg role="img" aria-label="` + template.HTMLEscapeString(title) + `"` + string(doc))
}
