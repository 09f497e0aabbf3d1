package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"

	"rsc.io/qr"
)

// quietZone is the white border, in modules, that scanners need around a
// QR code.
const quietZone = 4

// qrCode encodes text at medium error correction, good for phone cameras
// pointed at a laptop screen.
func qrCode(text string) (*qr.Code, error) { return qr.Encode(text, qr.M) }

// qrTerminal draws a code with half-block characters, two modules per
// line, dark on light whatever the terminal's colours (it writes the light
// parts as foreground blocks on the default background).
func qrTerminal(c *qr.Code) string {
	dark := func(x, y int) bool { return c.Black(x-quietZone, y-quietZone) }
	size := c.Size + 2*quietZone
	var b strings.Builder
	for y := 0; y < size; y += 2 {
		for x := 0; x < size; x++ {
			top, bottom := !dark(x, y), y+1 < size && !dark(x, y+1)
			switch {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// qrPNG renders a code as a PNG, scale pixels per module, with its quiet
// zone.
func qrPNG(c *qr.Code, scale int) ([]byte, error) {
	size := (c.Size + 2*quietZone) * scale
	img := image.NewGray(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			v := color.Gray{Y: 0xff}
			if c.Black(x/scale-quietZone, y/scale-quietZone) {
				v = color.Gray{}
			}
			img.SetGray(x, y, v)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
