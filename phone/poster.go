package phone

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
	"rsc.io/qr"
)

// The poster is A4 portrait: 210 x 297 mm, drawn at 150 dpi in the PNG.
const (
	posterW    = 1240
	posterH    = 1754
	posterQR   = 900 // the QR code's side in pixels, quiet zone included
	quietZone  = 4   // modules of white around the code, as scanners need
	posterLine = "Scan with your phone's camera to join the chat"
)

// PosterText is what a door poster says.
type PosterText struct {
	Event string // the event's name, the title
	Link  string // what the QR code opens: the page's URL with the invite in its fragment
	Show  string // the address printed under the code for people who type it ("" : none)
}

// Poster draws the door poster as a PNG and an SVG (A4): the event's name,
// the QR code of the link, the address and one line of instructions (to
// scan it). The
// PNG's text is drawn with a bitmap font of ASCII only (other characters
// show as "?"); the SVG carries the text as it is.
func Poster(t PosterText) (pngBytes, svgBytes []byte, err error) {
	if strings.TrimSpace(t.Event) == "" {
		return nil, nil, errors.New("poster: no event name")
	}
	code, err := qr.Encode(t.Link, qr.M)
	if err != nil {
		if code, err = qr.Encode(t.Link, qr.L); err != nil {
			return nil, nil, fmt.Errorf("poster: the link (%d bytes) does not fit a QR code: %v", len(t.Link), err)
		}
	}
	l := layout(code)
	if l.module < 2 {
		return nil, nil, fmt.Errorf("poster: the link (%d bytes) makes a QR code too dense to print legibly", len(t.Link))
	}
	pngBytes, err = posterPNG(t, code, l)
	if err != nil {
		return nil, nil, err
	}
	return pngBytes, posterSVG(t, code), nil
}

// qrLayout places the code on the PNG: its top-left corner (of the
// modules, quiet zone excluded) and the side of a module in pixels.
type qrLayout struct {
	x, y, module int
}

func layout(code *qr.Code) qrLayout {
	module := posterQR / (code.Size + 2*quietZone)
	side := module * code.Size
	return qrLayout{x: (posterW - side) / 2, y: 330 + (posterQR-side)/2, module: module}
}

func posterPNG(t PosterText, code *qr.Code, l qrLayout) ([]byte, error) {
	img := image.NewGray(image.Rect(0, 0, posterW, posterH))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := range code.Size {
		for x := range code.Size {
			if !code.Black(x, y) {
				continue
			}
			for dy := range l.module {
				row := img.Pix[(l.y+y*l.module+dy)*img.Stride:]
				for dx := range l.module {
					row[l.x+x*l.module+dx] = 0
				}
			}
		}
	}
	drawText(img, t.Event, 120, 200, 9)
	if t.Show != "" {
		drawText(img, t.Show, 330+posterQR+60, 120, 4)
	}
	drawText(img, posterLine, 330+posterQR+190, 100, 3)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("poster: %v", err)
	}
	return buf.Bytes(), nil
}

// drawText draws s centred on the line whose baseline is at y, with
// basicfont scaled by scale (at most, so that it fits between the margins).
func drawText(img *image.Gray, s string, y, margin, scale int) {
	face := basicfont.Face7x13
	s = asciiOnly(s)
	width := font.MeasureString(face, s).Ceil()
	if width == 0 {
		return
	}
	scale = max(1, min(scale, (posterW-2*margin)/width))
	small := image.NewGray(image.Rect(0, 0, width, face.Height))
	d := font.Drawer{Dst: small, Src: image.NewUniform(color.Gray{Y: 0xff}), Face: face, Dot: fixed.P(0, face.Ascent)}
	d.DrawString(s)
	x0 := (posterW - width*scale) / 2
	y0 := y - face.Ascent*scale
	for sy := range face.Height {
		for sx := range width {
			if small.Pix[sy*small.Stride+sx] < 0x80 {
				continue
			}
			for dy := range scale {
				py := y0 + sy*scale + dy
				if py < 0 || py >= posterH {
					continue
				}
				for dx := range scale {
					img.Pix[py*img.Stride+x0+sx*scale+dx] = 0
				}
			}
		}
	}
}

func asciiOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

// posterSVG is the same poster in millimetres: the code is 150 mm wide.
func posterSVG(t PosterText, code *qr.Code) []byte {
	var b strings.Builder
	esc := func(s string) string {
		var e strings.Builder
		xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	side := float64(code.Size + 2*quietZone)
	scale := 150 / side
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" viewBox="0 0 210 297">`)
	fmt.Fprintf(&b, `<title>%s</title><rect width="210" height="297" fill="#fff"/>`, esc(t.Event))
	fmt.Fprintf(&b, `<text x="105" y="35" font-family="sans-serif" font-size="14" font-weight="bold" text-anchor="middle">%s</text>`, esc(t.Event))
	fmt.Fprintf(&b, `<g transform="translate(30 52) scale(%.6f)" shape-rendering="crispEdges"><path fill="#000" d="`, scale)
	for y := range code.Size {
		for x := 0; x < code.Size; {
			if !code.Black(x, y) {
				x++
				continue
			}
			start := x
			for x < code.Size && code.Black(x, y) {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start+quietZone, y+quietZone, x-start, x-start)
		}
	}
	b.WriteString(`"/></g>`)
	if t.Show != "" {
		fmt.Fprintf(&b, `<text x="105" y="218" font-family="monospace" font-size="6" text-anchor="middle">%s</text>`, esc(t.Show))
	}
	fmt.Fprintf(&b, `<text x="105" y="240" font-family="sans-serif" font-size="8" text-anchor="middle">%s</text>`, esc(posterLine))
	b.WriteString(`</svg>`)
	return []byte(b.String())
}
