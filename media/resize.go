package media

import (
	"image"
	"image/draw"
	"math"

	xdraw "golang.org/x/image/draw"
)

// bandRows is how many destination rows resample finishes at a time. Its
// working memory is the filtered source rows one band needs: about
// (bandRows + 4) × scale rows of the destination's width in float32 RGBA.
const bandRows = 32

// axis holds the Catmull-Rom weights of one dimension: for each
// destination index, the source indices it reads and their normalised
// weights. They are computed as golang.org/x/image/draw's kernel scaler
// computes them (the kernel widened by the scale when shrinking, so every
// source pixel counts), which a test checks pixel by pixel.
type axis struct {
	first  []int // per destination index: its first entry in src and wt
	src    []int
	wt     []float32
	lo, hi []int // per destination index: the source range it reads
}

func newAxis(dst, src int) axis {
	k := xdraw.CatmullRom
	scale := float64(src) / float64(dst)
	half, argScale := k.Support, 1.0
	if scale > 1 {
		half *= scale
		argScale = 1 / scale
	}
	a := axis{first: make([]int, dst+1), lo: make([]int, dst), hi: make([]int, dst)}
	for d := range dst {
		center := (float64(d)+0.5)*scale - 0.5
		i := max(0, int(math.Floor(center-half)))
		j := min(src, int(math.Ceil(center+half)))
		a.first[d] = len(a.src)
		total := 0.0
		for s := i; s < j; s++ {
			t := math.Abs((center - float64(s)) * argScale)
			if t >= k.Support {
				continue
			}
			if w := k.At(t); w != 0 {
				total += w
				a.src = append(a.src, s)
				a.wt = append(a.wt, float32(w))
			}
		}
		if len(a.src) == a.first[d] {
			// Cannot happen for a source of at least one pixel, but a
			// destination pixel must read something.
			s := min(max(int(math.Round(center)), 0), src-1)
			a.src, a.wt, total = append(a.src, s), append(a.wt, 1), 1
		}
		for e := a.first[d]; e < len(a.src); e++ {
			a.wt[e] = float32(float64(a.wt[e]) / total)
		}
		a.lo[d], a.hi[d] = a.src[a.first[d]], a.src[len(a.src)-1]+1
	}
	a.first[dst] = len(a.src)
	return a
}

// resample scales src to w×h pixels with the Catmull-Rom kernel into a new
// premultiplied RGBA image. It works in bands of destination rows and keeps
// only the filtered source rows the current band needs, so its memory
// does not grow with the source's height.
func resample(src image.Image, w, h int) *image.RGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if sw == w && sh == h {
		draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Src)
		return dst
	}
	ax, ay := newAxis(w, sw), newAxis(h, sh)
	rowLen := 4 * w
	span := 0
	for y0 := 0; y0 < h; y0 += bandRows {
		y1 := min(y0+bandRows, h) - 1
		span = max(span, ay.hi[y1]-ay.lo[y0])
	}
	var (
		tmp       = make([]float32, span*rowLen) // filtered rows base..top-1
		base, top = 0, 0
		row       = image.NewRGBA(image.Rect(0, 0, sw, 1))
		acc       = make([]float32, rowLen)
	)
	for y0 := 0; y0 < h; y0 += bandRows {
		y1 := min(y0+bandRows, h)
		lo, hi := ay.lo[y0], ay.hi[y1-1]
		if lo >= top {
			base, top = lo, lo
		} else if lo > base {
			copy(tmp, tmp[(lo-base)*rowLen:(top-base)*rowLen])
			base = lo
		}
		for ; top < hi; top++ {
			draw.Draw(row, row.Bounds(), src, image.Pt(b.Min.X, b.Min.Y+top), draw.Src)
			filterRow(tmp[(top-base)*rowLen:(top-base+1)*rowLen], row.Pix, &ax)
		}
		for y := y0; y < y1; y++ {
			clear(acc)
			for e := ay.first[y]; e < ay.first[y+1]; e++ {
				wt := ay.wt[e]
				in := tmp[(ay.src[e]-base)*rowLen : (ay.src[e]-base+1)*rowLen]
				for i, v := range in {
					acc[i] += wt * v
				}
			}
			out := dst.Pix[y*dst.Stride : y*dst.Stride+rowLen]
			for i := 0; i < rowLen; i += 4 {
				a := clamp8(acc[i+3])
				out[i+0] = min(clamp8(acc[i+0]), a)
				out[i+1] = min(clamp8(acc[i+1]), a)
				out[i+2] = min(clamp8(acc[i+2]), a)
				out[i+3] = a
			}
		}
	}
	return dst
}

// filterRow applies the horizontal weights to one source row of
// premultiplied RGBA bytes.
func filterRow(out []float32, pix []uint8, ax *axis) {
	for d := 0; d < len(out)/4; d++ {
		var r, g, b, a float32
		for e := ax.first[d]; e < ax.first[d+1]; e++ {
			wt, p := ax.wt[e], pix[4*ax.src[e]:4*ax.src[e]+4]
			r += wt * float32(p[0])
			g += wt * float32(p[1])
			b += wt * float32(p[2])
			a += wt * float32(p[3])
		}
		o := out[4*d : 4*d+4]
		o[0], o[1], o[2], o[3] = r, g, b, a
	}
}

func clamp8(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
