package media

import (
	"cmp"
	"image"
	"image/color"
	"slices"
)

const (
	// flatMaxColours: an image with more distinct colours than this is
	// a photo, and counting stops there (after a few thousand pixels of
	// a photo), which keeps the check cheap.
	flatMaxColours = 16384
	// flatCover is the share of pixels an image's 256 most frequent
	// colours must cover for it to be flat: UI, charts, digital maps,
	// whose remaining pixels are anti-aliased edges between those colours.
	flatCover = 0.95
)

// flatPalette returns m mapped onto a palette of its 256 most frequent
// colours, each other colour to the nearest of them, when m is flat; false
// otherwise. The PNG of the result is what screenshots and digital maps
// send: sharp where JPEG rings around text, and smaller than lossless.
func flatPalette(m *image.RGBA) (*image.Paletted, bool) {
	counts := make(map[uint32]int, 1024)
	for i := 0; i < len(m.Pix); i += 4 {
		counts[rgbaKey(m.Pix[i:i+4])]++
		if len(counts) > flatMaxColours {
			return nil, false
		}
	}
	if len(counts) <= 256 {
		return nil, false // toPaletted keeps every colour
	}
	type entry struct {
		key   uint32
		count int
	}
	all := make([]entry, 0, len(counts))
	for k, n := range counts {
		all = append(all, entry{k, n})
	}
	slices.SortFunc(all, func(a, b entry) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return cmp.Compare(a.key, b.key)
	})
	covered := 0
	pal := make(color.Palette, 256)
	index := make(map[uint32]uint8, len(counts))
	for i, e := range all[:256] {
		covered += e.count
		pal[i] = keyRGBA(e.key)
		index[e.key] = uint8(i)
	}
	if float64(covered) < flatCover*float64(len(m.Pix)/4) {
		return nil, false
	}
	for _, e := range all[256:] {
		index[e.key] = nearest(pal, keyRGBA(e.key))
	}
	p := image.NewPaletted(m.Rect, pal)
	for i, j := 0, 0; i < len(m.Pix); i, j = i+4, j+1 {
		p.Pix[j] = index[rgbaKey(m.Pix[i:i+4])]
	}
	return p, true
}

// colours counts m's distinct colours, stopping past limit.
func colours(m *image.RGBA, limit int) int {
	seen := make(map[uint32]struct{}, 1024)
	for i := 0; i < len(m.Pix) && len(seen) <= limit; i += 4 {
		seen[rgbaKey(m.Pix[i:i+4])] = struct{}{}
	}
	return len(seen)
}

func rgbaKey(p []uint8) uint32 {
	return uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
}

func keyRGBA(k uint32) color.RGBA {
	return color.RGBA{uint8(k >> 24), uint8(k >> 16), uint8(k >> 8), uint8(k)}
}

// nearest is the palette index closest to c, by squared distance over
// the premultiplied channels.
func nearest(pal color.Palette, c color.RGBA) uint8 {
	best, bestD := 0, int(^uint(0)>>1)
	for i, p := range pal {
		q := p.(color.RGBA)
		dr, dg := int(c.R)-int(q.R), int(c.G)-int(q.G)
		db, da := int(c.B)-int(q.B), int(c.A)-int(q.A)
		if d := dr*dr + dg*dg + db*db + da*da; d < bestD {
			best, bestD = i, d
		}
	}
	return uint8(best)
}
