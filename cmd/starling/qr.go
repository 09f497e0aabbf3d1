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

// maxQRColumns is the widest terminal QR code qrCode makes when it can:
// an 80-column terminal's width.
const maxQRColumns = 80

// qrCode encodes text at medium error correction, good for phone cameras
// pointed at a laptop screen, or at low error correction when that keeps
// the terminal drawing (qrTerminal) within maxQRColumns: a long invite
// link (a private group's with a relay and its ticket) fits 80 columns at
// L, not at M, and a screen is a clean surface for a camera.
func qrCode(text string) (*qr.Code, error) {
	c, err := qr.Encode(text, qr.M)
	if err != nil || c.Size+2*quietZone <= maxQRColumns {
		return c, err
	}
	if l, err := qr.Encode(text, qr.L); err == nil && l.Size < c.Size {
		return l, nil
	}
	return c, nil
}

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
