package report

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The legend sits in a strip above the plot, not inside it: inside, in any
// corner, it covered the event markers and their labels, which run the
// whole height of the timeline at any time, and parts of the data.

// legendEntry is one name with the line it stands for.
type legendEntry struct {
	name  string
	thumb plot.Thumbnailer
}

// Legend strip sizes.
const (
	legendThumb   vg.Length = 16 // the sample line's width
	legendGap     vg.Length = 14 // between entries on a row
	legendRow     vg.Length = 14 // a row's height, for 10 pt text
	legendPadding vg.Length = 4  // above the first row and below the last
	legendLeft    vg.Length = 8  // the strip's left margin
)

// newLegend is a one-entry gonum legend in the charts' style, drawn from
// the top left of the canvas it is given.
func newLegend(e legendEntry) plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font.Size = vg.Points(10)
	l.TextStyle.Font.Variant = sans
	l.TextStyle.Color = inkColor
	l.ThumbnailWidth = legendThumb
	l.Top, l.Left = true, true
	l.Add(e.name, e.thumb)
	return l
}

// entryWidth is what an entry takes on its row: sample line, a space, name.
func entryWidth(e legendEntry) vg.Length {
	l := newLegend(e)
	return legendThumb + l.TextStyle.Width(" ") + l.TextStyle.Width(e.name)
}

// legendLayout places entries of the given widths in rows across width,
// left to right, starting a new row when the next would not fit. It
// returns each entry's X offset and row, and how many rows there are.
func legendLayout(widths []vg.Length, width vg.Length) (xs []vg.Length, rowOf []int, rows int) {
	x := legendLeft
	for i, w := range widths {
		if i > 0 && x+w > width {
			rows++
			x = legendLeft
		}
		xs, rowOf = append(xs, x), append(rowOf, rows)
		x += w + legendGap
	}
	if len(widths) > 0 {
		rows++
	}
	return xs, rowOf, rows
}

// legendHeight is the strip's height for entries across width.
func legendHeight(entries []legendEntry, width vg.Length) vg.Length {
	_, _, rows := legendLayout(entryWidths(entries), width)
	if rows == 0 {
		return 0
	}
	return vg.Length(rows)*legendRow + 2*legendPadding
}

func entryWidths(entries []legendEntry) []vg.Length {
	ws := make([]vg.Length, len(entries))
	for i, e := range entries {
		ws[i] = entryWidth(e)
	}
	return ws
}

// drawLegend draws entries in the strip at the top of c.
func drawLegend(c draw.Canvas, entries []legendEntry) {
	widths := entryWidths(entries)
	xs, rowOf, _ := legendLayout(widths, c.Max.X-c.Min.X)
	for i, e := range entries {
		top := c.Max.Y - legendPadding - vg.Length(rowOf[i])*legendRow
		cell := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: c.Min.X + xs[i], Y: top - legendRow},
			Max: vg.Point{X: c.Min.X + xs[i] + widths[i], Y: top},
		}}
		l := newLegend(e)
		l.Draw(cell)
	}
}
