package media

import "image"

// orient returns m turned upright according to an EXIF orientation: the
// stored pixel each upright pixel (x, y) comes from, for a stored image of
// W×H pixels, is
//
//	2: (W-1-x, y)       mirrored
//	3: (W-1-x, H-1-y)   upside down
//	4: (x, H-1-y)       mirrored upside down
//	5: (y, x)           transposed
//	6: (y, H-1-x)       turned 90° clockwise to be upright
//	7: (W-1-y, H-1-x)   transversed
//	8: (W-1-y, x)       turned 90° counter-clockwise to be upright
func orient(m *image.RGBA, o int) *image.RGBA {
	if o < orientFlipH || o > orientRotate270CW {
		return m
	}
	sw, sh := m.Bounds().Dx(), m.Bounds().Dy()
	w, h := sw, sh
	if swapsSides(o) {
		w, h = sh, sw
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var sx, sy int
			switch o {
			case orientFlipH:
				sx, sy = sw-1-x, y
			case orientRotate180:
				sx, sy = sw-1-x, sh-1-y
			case orientFlipV:
				sx, sy = x, sh-1-y
			case orientTranspose:
				sx, sy = y, x
			case orientRotate90CW:
				sx, sy = y, sh-1-x
			case orientTransverse:
				sx, sy = sw-1-y, sh-1-x
			case orientRotate270CW:
				sx, sy = sw-1-y, x
			}
			si := m.PixOffset(m.Rect.Min.X+sx, m.Rect.Min.Y+sy)
			di := out.PixOffset(x, y)
			copy(out.Pix[di:di+4], m.Pix[si:si+4])
		}
	}
	return out
}
