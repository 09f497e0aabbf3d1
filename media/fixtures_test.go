package media

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// The test images are drawn here from a seed, never committed: a photo
// (smooth light, shapes, sensor noise), a photo of a printed map (streets
// and small labels, then the camera's blur, vignette and noise) and a
// screenshot (flat panels and anti-aliased text).

var goRegular = sync.OnceValue(func() *opentype.Font {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		panic(err)
	}
	return f
})

func face(t testing.TB, size float64) font.Face {
	t.Helper()
	f, err := opentype.NewFace(goRegular(), &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func text(t testing.TB, dst draw.Image, size float64, c color.Color, x, y int, s string) {
	t.Helper()
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face(t, size), Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func fill(dst draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Over)
}

// line draws a thick line as a row of squares, enough for streets.
func line(dst draw.Image, x0, y0, x1, y1, width int, c color.Color) {
	n := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= n; i++ {
		x := x0 + (x1-x0)*i/n
		y := y0 + (y1-y0)*i/n
		fill(dst, image.Rect(x-width/2, y-width/2, x+(width+1)/2, y+(width+1)/2), c)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func clampByte(v float64) uint8 {
	return uint8(min(max(v, 0), 255))
}

// photoImage: a sky-to-ground gradient, soft discs, and Gaussian noise of
// sigma 6 (a phone at dusk), as the YCbCr a camera JPEG decodes to.
func photoImage(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	type disc struct{ x, y, r, cr, cg, cb float64 }
	discs := make([]disc, 12)
	for i := range discs {
		discs[i] = disc{rng.Float64() * float64(w), rng.Float64() * float64(h), (0.03 + rng.Float64()*0.15) * float64(w),
			rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
	}
	for y := range h {
		fy := float64(y) / float64(h)
		for x := range w {
			fx := float64(x) / float64(w)
			r := 90 + 120*(1-fy) + 20*math.Sin(fx*7)
			g := 120 + 90*(1-fy) + 15*math.Cos(fx*5+fy*3)
			b := 200*(1-fy) + 60*fy
			for _, d := range discs {
				dx, dy := float64(x)-d.x, float64(y)-d.y
				if k := 1 - (dx*dx+dy*dy)/(d.r*d.r); k > 0 {
					k = math.Min(1, k*3)
					r, g, b = r*(1-k)+d.cr*k, g*(1-k)+d.cg*k, b*(1-k)+d.cb*k
				}
			}
			n := rng.NormFloat64() * 6
			i := m.PixOffset(x, y)
			m.Pix[i+0], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = clampByte(r+n), clampByte(g+n), clampByte(b+n), 0xff
		}
	}
	return m
}

// mapImage is a printed map photographed: streets, blocks, a river, street
// names in type of textPx pixels, then a 3×3 blur, a vignette, a warm cast
// and noise.
func mapImage(t testing.TB, w, h int, textPx float64, seed uint64) *image.RGBA {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 2))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(m, m.Bounds(), color.RGBA{0xf3, 0xee, 0xe0, 0xff})
	for range 40 {
		x, y := rng.IntN(w), rng.IntN(h)
		fill(m, image.Rect(x, y, x+w/12, y+h/14), color.RGBA{0xe2, 0xdc, 0xc8, 0xff})
	}
	for i := range 3 {
		line(m, 0, h/4+i*h/3, w, h/5+i*h/3+h/10, w/80, color.RGBA{0x9c, 0xc7, 0xe8, 0xff})
	}
	step := w / 9
	for i := 1; i < 9; i++ {
		wd := max(2, w/300)
		if i%3 == 0 {
			wd *= 3
		}
		line(m, i*step, 0, i*step+rng.IntN(step/3), h, wd, color.RGBA{0xff, 0xff, 0xff, 0xff})
		line(m, 0, i*h/9, w, i*h/9+rng.IntN(h/20), wd, color.RGBA{0xfa, 0xd4, 0x8b, 0xff})
	}
	names := []string{"Harbour Street", "Old Mill Lane", "Stage B", "First Aid", "Gate 3", "Food Court",
		"Camping North", "Info Point", "Water", "Bus Stop 12", "Main Stage", "Exit"}
	for i := range 60 {
		x, y := rng.IntN(w-int(textPx)*10), int(textPx)+rng.IntN(h-2*int(textPx))
		text(t, m, textPx, color.RGBA{0x33, 0x30, 0x2c, 0xff}, x, y, names[i%len(names)])
	}
	// The camera: blur, vignette, warm cast, noise.
	out := image.NewRGBA(m.Rect)
	for y := range h {
		for x := range w {
			var s [3]float64
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					p := m.PixOffset(min(max(x+dx, 0), w-1), min(max(y+dy, 0), h-1))
					wt := 1.0
					if dx == 0 && dy == 0 {
						wt = 4
					} else if dx == 0 || dy == 0 {
						wt = 2
					}
					s[0] += wt * float64(m.Pix[p])
					s[1] += wt * float64(m.Pix[p+1])
					s[2] += wt * float64(m.Pix[p+2])
				}
			}
			cx, cy := float64(x)/float64(w)-0.5, float64(y)/float64(h)-0.5
			v := 1 - 0.35*(cx*cx+cy*cy)
			n := rng.NormFloat64() * 4
			i := out.PixOffset(x, y)
			out.Pix[i+0] = clampByte(s[0]/16*v*1.02 + n)
			out.Pix[i+1] = clampByte(s[1]/16*v + n)
			out.Pix[i+2] = clampByte(s[2]/16*v*0.94 + n)
			out.Pix[i+3] = 0xff
		}
	}
	return out
}

// screenshotImage is a chat app's window: flat panels, buttons and lines
// of 14-pixel text.
func screenshotImage(t testing.TB, w, h int) *image.RGBA {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(m, m.Bounds(), color.RGBA{0xff, 0xff, 0xff, 0xff})
	fill(m, image.Rect(0, 0, w, 48), color.RGBA{0x2b, 0x4c, 0x7e, 0xff})
	fill(m, image.Rect(0, 48, w/4, h), color.RGBA{0xf0, 0xf2, 0xf5, 0xff})
	text(t, m, 20, color.White, 16, 32, "Starling — #hall")
	for i := 0; 60+i*28 < h; i++ {
		text(t, m, 14, color.RGBA{0x44, 0x44, 0x44, 0xff}, 16, 76+i*28, "group "+string(rune('a'+i%26)))
		y := 76 + i*36
		if y < h-40 {
			fill(m, image.Rect(w/4+16, y-18, w/4+28, y-6), color.RGBA{0x4c, 0xaf, 0x50, 0xff})
			text(t, m, 14, color.Black, w/4+36, y-6, "ada: the map of the site is pinned above, stage B starts at 21:00")
		}
	}
	fill(m, image.Rect(w/4, h-44, w, h), color.RGBA{0xf7, 0xf7, 0xf7, 0xff})
	fill(m, image.Rect(w-120, h-38, w-16, h-8), color.RGBA{0x2b, 0x4c, 0x7e, 0xff})
	text(t, m, 14, color.White, w-96, h-18, "Send")
	return m
}

func encodeJPEGFile(t testing.TB, m image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNGFile(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
