package media

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// errOver stops an encoder as soon as its output passes the budget, so a
// quality or size that cannot fit costs a fraction of a full encoding.
var errOver = errors.New("over budget")

type capped struct {
	buf   bytes.Buffer
	limit int
}

func (c *capped) Write(p []byte) (int, error) {
	if c.buf.Len()+len(p) > c.limit {
		return 0, errOver
	}
	return c.buf.Write(p)
}

// encodeJPEG encodes m at quality q, or returns false when the result
// would pass limit bytes. image/jpeg writes SOI, DQT, SOF0, DHT, one SOS
// and EOI: no APPn segment, no comment, so nothing of the source's
// metadata can survive.
func encodeJPEG(m image.Image, q, limit int) ([]byte, bool) {
	c := &capped{limit: limit}
	if err := jpeg.Encode(c, m, &jpeg.Options{Quality: q}); err != nil {
		return nil, false
	}
	return c.buf.Bytes(), true
}

var pngEncoder = png.Encoder{CompressionLevel: png.BestCompression}

// encodePNG encodes m, or returns false when the result would pass limit
// bytes. image/png writes IHDR, PLTE and tRNS for a paletted image, IDAT
// and IEND: no text, time, colour-profile or EXIF chunk.
func encodePNG(m image.Image, limit int) ([]byte, bool) {
	c := &capped{limit: limit}
	if err := pngEncoder.Encode(c, m); err != nil {
		return nil, false
	}
	return c.buf.Bytes(), true
}

// bestJPEG finds the highest quality in [lo, hi] whose encoding of m fits
// limit. It tries lo first, so a side where nothing fits costs one
// encoding (image/jpeg does all its work even after the writer fails),
// then hi, then bisects (size grows with quality; where it wobbles, the
// answer is a quality that fits, if not always the very highest).
func bestJPEG(m image.Image, lo, hi, limit int) ([]byte, int, bool) {
	best, ok := encodeJPEG(m, lo, limit)
	if !ok {
		return nil, 0, false
	}
	q := lo
	if lo == hi {
		return best, q, true
	}
	if data, ok := encodeJPEG(m, hi, limit); ok {
		return data, hi, true
	}
	for lo, hi = lo+1, hi-1; lo <= hi; {
		mid := (lo + hi) / 2
		if data, ok := encodeJPEG(m, mid, limit); ok {
			best, q = data, mid
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	return best, q, true
}

// opaque reports whether every pixel of m is opaque.
func opaque(m *image.RGBA) bool {
	for i := 3; i < len(m.Pix); i += 4 {
		if m.Pix[i] != 0xff {
			return false
		}
	}
	return true
}

// flatten composes m over white, for JPEG, which has no alpha.
func flatten(m *image.RGBA) *image.RGBA {
	if opaque(m) {
		return m
	}
	out := image.NewRGBA(m.Rect)
	for i := 0; i < len(m.Pix); i += 4 {
		inv := 0xff - m.Pix[i+3]
		out.Pix[i+0] = m.Pix[i+0] + inv
		out.Pix[i+1] = m.Pix[i+1] + inv
		out.Pix[i+2] = m.Pix[i+2] + inv
		out.Pix[i+3] = 0xff
	}
	return out
}

// compact returns m in the smallest form image/png and image/jpeg write
// well: grey when every pixel is an opaque grey (one component instead of
// three), and for PNG a palette when there are at most 256 colours.
func compact(m *image.RGBA, forPNG bool) image.Image {
	if g, ok := toGray(m); ok {
		if forPNG {
			if p, ok := toPaletted(m); ok && len(p.Palette) <= 16 {
				return p
			}
		}
		return g
	}
	if forPNG {
		if p, ok := toPaletted(m); ok {
			return p
		}
	}
	return m
}

func toGray(m *image.RGBA) (*image.Gray, bool) {
	for i := 0; i < len(m.Pix); i += 4 {
		if m.Pix[i] != m.Pix[i+1] || m.Pix[i] != m.Pix[i+2] || m.Pix[i+3] != 0xff {
			return nil, false
		}
	}
	g := image.NewGray(m.Rect)
	for i, j := 0, 0; i < len(m.Pix); i, j = i+4, j+1 {
		g.Pix[j] = m.Pix[i]
	}
	return g, true
}

// toPaletted returns m with a palette of its colours, in order of first
// appearance, or false when it has more than 256.
func toPaletted(m *image.RGBA) (*image.Paletted, bool) {
	index := make(map[uint32]uint8, 256)
	var pal color.Palette
	p := image.NewPaletted(m.Rect, nil)
	for i, j := 0, 0; i < len(m.Pix); i, j = i+4, j+1 {
		k := uint32(m.Pix[i])<<24 | uint32(m.Pix[i+1])<<16 | uint32(m.Pix[i+2])<<8 | uint32(m.Pix[i+3])
		n, ok := index[k]
		if !ok {
			if len(pal) == 256 {
				return nil, false
			}
			n = uint8(len(pal))
			index[k] = n
			pal = append(pal, color.RGBA{m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3]})
		}
		p.Pix[j] = n
	}
	p.Palette = pal
	return p, true
}
