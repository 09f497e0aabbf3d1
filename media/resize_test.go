package media

import (
	"image"
	"math/rand/v2"
	"testing"

	xdraw "golang.org/x/image/draw"
)

func noise(w, h int, seed uint64, alpha bool) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 3))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		a := uint8(0xff)
		if alpha {
			a = uint8(rng.IntN(256))
		}
		m.Pix[i+0] = uint8(rng.IntN(int(a) + 1))
		m.Pix[i+1] = uint8(rng.IntN(int(a) + 1))
		m.Pix[i+2] = uint8(rng.IntN(int(a) + 1))
		m.Pix[i+3] = a
	}
	return m
}

// TestResampleMatchesXDraw: resample is golang.org/x/image/draw's
// Catmull-Rom in bands; on noise (the hardest case for band edges and
// rounding) every channel of every pixel is within 1 of it, shrinking,
// enlarging, across many bands and with a source that is not at the
// origin.
func TestResampleMatchesXDraw(t *testing.T) {
	cases := []struct {
		name       string
		sw, sh     int
		dw, dh     int
		alpha      bool
		offX, offY int
	}{
		{"shrink", 97, 61, 40, 25, false, 0, 0},
		{"shrink many bands", 37, 701, 13, 190, false, 0, 0},
		{"shrink by 7", 350, 280, 50, 40, false, 0, 0},
		{"enlarge", 20, 15, 53, 41, false, 0, 0},
		{"one row", 64, 1, 17, 1, false, 0, 0},
		{"alpha", 90, 70, 33, 29, true, 0, 0},
		{"offset", 80, 90, 30, 70, false, 7, 11},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			full := noise(tc.sw+tc.offX, tc.sh+tc.offY, 1, tc.alpha)
			src := full.SubImage(image.Rect(tc.offX, tc.offY, tc.offX+tc.sw, tc.offY+tc.sh))
			got := resample(src, tc.dw, tc.dh)
			want := image.NewRGBA(image.Rect(0, 0, tc.dw, tc.dh))
			xdraw.CatmullRom.Scale(want, want.Bounds(), src, src.Bounds(), xdraw.Src, nil)
			worst := 0
			for i := range got.Pix {
				worst = max(worst, abs(int(got.Pix[i])-int(want.Pix[i])))
			}
			if worst > 1 {
				t.Errorf("a channel differs from x/image/draw by %d", worst)
			}
		})
	}
}

func TestResampleSameSizeCopies(t *testing.T) {
	m := noise(31, 17, 2, true)
	got := resample(m, 31, 17)
	for i := range got.Pix {
		if got.Pix[i] != m.Pix[i] {
			t.Fatalf("byte %d: %d, want %d", i, got.Pix[i], m.Pix[i])
		}
	}
}

// TestResampleMemory: resample's working memory is a band of filtered
// rows, not the image: shrinking 1000×2000 pixels to 100×200 allocates
// under 2 MiB (the result is 80 KB), where a two-pass scaler holding the
// horizontally filtered image, as x/image/draw's does, needs 100 × 2000 ×
// 32 bytes, 6.4 MB.
func TestResampleMemory(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 1000, 2000))
	var got *image.RGBA
	n := allocated(func() { got = resample(src, 100, 200) })
	if got.Bounds().Dx() != 100 || got.Bounds().Dy() != 200 {
		t.Fatalf("size %v", got.Bounds())
	}
	if n > 2<<20 {
		t.Errorf("allocated %d bytes", n)
	}
}
