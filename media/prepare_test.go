package media

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"testing"

	"golang.org/x/image/webp"
)

// decodeOutput decodes what Prepare wrote, as a browser would.
func decodeOutput(t testing.TB, im *Image) *image.RGBA {
	t.Helper()
	m, _, err := image.Decode(bytes.NewReader(im.Data))
	if err != nil {
		t.Fatalf("decode output: %v", err)
	}
	out := image.NewRGBA(m.Bounds())
	draw.Draw(out, out.Bounds(), m, m.Bounds().Min, draw.Src)
	return out
}

// psnr compares two images of one size over R, G and B, in dB.
func psnr(t testing.TB, a, b *image.RGBA) float64 {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("sizes %v and %v", a.Bounds().Size(), b.Bounds().Size())
	}
	var sum float64
	n := 0
	for i := 0; i < len(a.Pix); i += 4 {
		for c := range 3 {
			d := float64(a.Pix[i+c]) - float64(b.Pix[i+c])
			sum += d * d
			n++
		}
	}
	if sum == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(sum/float64(n)))
}

// checkImage checks what every Prepare result must be.
func checkImage(t testing.TB, im *Image, cfg Config) {
	t.Helper()
	cfg = cfg.withDefaults()
	if len(im.Data) > cfg.MaxBytes {
		t.Errorf("%d bytes, budget %d", len(im.Data), cfg.MaxBytes)
	}
	if im.Digest != sha256.Sum256(im.Data) {
		t.Errorf("digest is not SHA-256 of the data")
	}
	info, err := Check(im.Data)
	if err != nil {
		t.Fatalf("Check refuses Prepare's output: %v", err)
	}
	if info != (Info{im.Format, im.Width, im.Height}) {
		t.Errorf("Check reads %+v, Prepare says %s %d×%d", info, im.Format, im.Width, im.Height)
	}
	if err := CheckPreview(im.Preview); err != nil {
		t.Errorf("preview: %v", err)
	}
	if (im.Format == FormatJPEG) != (im.Quality > 0) {
		t.Errorf("%s at quality %d", im.Format, im.Quality)
	}
}

// TestPrepareKinds: a photo becomes a JPEG, a photographed map a JPEG
// large enough to read its street names, a screenshot a PNG; each within
// the budget and close to the source.
func TestPrepareKinds(t *testing.T) {
	cases := []struct {
		name    string
		src     *image.RGBA
		file    func(*image.RGBA) []byte
		format  Format
		minSide int
		minPSNR float64
	}{
		{"photo", photoImage(1600, 1200, 1), func(m *image.RGBA) []byte { return encodeJPEGFile(t, m, 92) }, FormatJPEG, 1280, 30},
		// 16-pixel type at 1800 pixels wide: at 1600 it is 14 pixels, at
		// 1024 9, where street names stop being legible.
		{"map photo", mapImage(t, 1800, 1350, 16, 1), func(m *image.RGBA) []byte { return encodeJPEGFile(t, m, 92) }, FormatJPEG, 1600, 30},
		{"screenshot", screenshotImage(t, 1024, 640), func(m *image.RGBA) []byte { return encodePNGFile(t, m) }, FormatPNG, 1024, 35},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			im, err := Prepare(tc.file(tc.src), Config{})
			if err != nil {
				t.Fatal(err)
			}
			checkImage(t, im, Config{})
			t.Logf("%s %d×%d quality %d, %d bytes", im.Format, im.Width, im.Height, im.Quality, len(im.Data))
			if im.Format != tc.format {
				t.Errorf("format %s, want %s", im.Format, tc.format)
			}
			if long := max(im.Width, im.Height); long < tc.minSide {
				t.Errorf("longest side %d, want at least %d", long, tc.minSide)
			}
			ref := resample(tc.src, im.Width, im.Height)
			if p := psnr(t, decodeOutput(t, im), ref); p < tc.minPSNR {
				t.Errorf("PSNR %.1f dB against the source at that size, want at least %.0f", p, tc.minPSNR)
			}
		})
	}
}

// TestPrepareLadder: a smaller budget walks down the ladder, and the
// smallest side's floor quality is the last resort before ErrNoFit.
func TestPrepareLadder(t *testing.T) {
	file := encodeJPEGFile(t, photoImage(800, 600, 2), 90)
	big, err := Prepare(file, Config{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{MaxBytes: 12 << 10}
	small, err := Prepare(file, cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, small, cfg)
	if small.Width >= big.Width {
		t.Errorf("a budget of %d bytes gives %d pixels wide, the default budget %d", cfg.MaxBytes, small.Width, big.Width)
	}
	if small.Quality < cfg.withDefaults().MinQuality {
		t.Errorf("quality %d, below MinQuality though a smaller side was left", small.Quality)
	}
	tiny := Config{MaxBytes: 4 << 10, Sides: []int{400}}
	if _, err := Prepare(encodePNGFile(t, noise(400, 400, 1, false)), tiny); !errors.Is(err, ErrNoFit) {
		t.Errorf("4 KiB for 400×400 pixels of noise: %v, want ErrNoFit", err)
	}
}

// TestPrepareNeverUpscales: a small picture keeps its size.
func TestPrepareNeverUpscales(t *testing.T) {
	im, err := Prepare(encodeJPEGFile(t, photoImage(300, 200, 3), 90), Config{})
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, im, Config{})
	if im.Width != 300 || im.Height != 200 {
		t.Errorf("%d×%d, want 300×200", im.Width, im.Height)
	}
}

// TestPrepareDeterministic: the same file gives the same bytes, so its
// content address is stable and a second send is recognised.
func TestPrepareDeterministic(t *testing.T) {
	file := encodeJPEGFile(t, mapImage(t, 500, 400, 12, 4), 90)
	a, err := Prepare(file, Config{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Prepare(file, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest != b.Digest || !bytes.Equal(a.Preview, b.Preview) {
		t.Errorf("two runs differ: %s and %s", a.Digest.Short(), b.Digest.Short())
	}
}

// quadrants is red in its top-left quarter and blue elsewhere.
func quadrants(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(m, m.Bounds(), color.RGBA{0, 0, 0xff, 0xff})
	fill(m, image.Rect(0, 0, w/2, h/2), color.RGBA{0xff, 0, 0, 0xff})
	return m
}

func redAt(m *image.RGBA, x, y int) bool {
	c := m.RGBAAt(x, y)
	return c.R > 200 && c.B < 60
}

// TestPrepareOrientation: a JPEG's EXIF orientation is applied (what the
// sender's phone and every browser show), a PNG's and a WebP's are not
// (browsers ignore them, so the sender saw the picture unturned).
func TestPrepareOrientation(t *testing.T) {
	src := quadrants(300, 200)
	for o := 1; o <= 8; o++ {
		stored := storedFor(src, o)
		file := withJPEGSegments(encodeJPEGFile(t, stored, 95), jpegSegment(0xe1, cat([]byte(exifHeader), exifBlock(o))))
		im, err := Prepare(file, Config{})
		if err != nil {
			t.Fatalf("orientation %d: %v", o, err)
		}
		if im.Width != 300 || im.Height != 200 {
			t.Errorf("orientation %d: %d×%d, want 300×200", o, im.Width, im.Height)
			continue
		}
		out := decodeOutput(t, im)
		if !redAt(out, 30, 30) || redAt(out, 270, 30) || redAt(out, 30, 170) {
			t.Errorf("orientation %d: not upright", o)
		}
	}
	pngFile := withPNGChunks(encodePNGFile(t, src), pngChunk("eXIf", exifBlock(6)))
	im, err := Prepare(pngFile, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 300 || im.Height != 200 || im.Source.Orientation != orientNormal {
		t.Errorf("PNG with eXIf orientation 6: %d×%d, orientation %d; want it unturned", im.Width, im.Height, im.Source.Orientation)
	}
}

// storedFor turns an upright image into what a camera stores under
// orientation o: the inverse of orient, built from orient's inverse pairs
// (6 and 8 undo each other, every other orientation undoes itself), and
// checked here by round trip.
func storedFor(m *image.RGBA, o int) *image.RGBA {
	inv := o
	switch o {
	case orientRotate90CW:
		inv = orientRotate270CW
	case orientRotate270CW:
		inv = orientRotate90CW
	}
	return orient(m, inv)
}

// TestPrepareFormats: every kind of input the decoders give (grey, 16-bit,
// paletted, transparent, lossy and lossless WebP, WebP with alpha) comes out
// as a valid image.
func TestPrepareFormats(t *testing.T) {
	photo := photoImage(320, 240, 5)
	gray := image.NewGray(photo.Bounds())
	draw.Draw(gray, gray.Bounds(), photo, image.Point{}, draw.Src)
	deep := image.NewNRGBA64(photo.Bounds())
	draw.Draw(deep, deep.Bounds(), photo, image.Point{}, draw.Src)
	pal := image.NewPaletted(photo.Bounds(), color.Palette{color.Black, color.White, color.RGBA{0xff, 0, 0, 0xff}, color.Transparent})
	draw.FloydSteinberg.Draw(pal, pal.Bounds(), photo, image.Point{})
	logo := image.NewNRGBA(image.Rect(0, 0, 200, 200))
	fill(logo, image.Rect(50, 50, 150, 150), color.NRGBA{0x20, 0x80, 0xff, 0xc0})

	files := map[string][]byte{
		"grey jpeg":      encodeJPEGFile(t, gray, 90),
		"grey png":       encodePNGFile(t, gray),
		"16-bit png":     encodePNGFile(t, deep),
		"paletted png":   encodePNGFile(t, pal),
		"transparent":    encodePNGFile(t, logo),
		"lossy webp":     readTestdata(t, "blue-purple-pink.lossy.webp"),
		"lossless webp":  readTestdata(t, "gopher-doc.8bpp.lossless.webp"),
		"webp and alpha": readTestdata(t, "yellow_rose.lossy-with-alpha.webp"),
	}
	for name, file := range files {
		t.Run(name, func(t *testing.T) {
			im, err := Prepare(file, Config{})
			if err != nil {
				t.Fatal(err)
			}
			checkImage(t, im, Config{})
		})
	}
	t.Run("transparency kept", func(t *testing.T) {
		im, err := Prepare(files["transparent"], Config{})
		if err != nil {
			t.Fatal(err)
		}
		m, err := png.Decode(bytes.NewReader(im.Data))
		if err != nil {
			t.Fatalf("%s: %v", im.Format, err)
		}
		if _, _, _, a := m.At(0, 0).RGBA(); a != 0 {
			t.Errorf("a transparent corner has alpha %d", a)
		}
	})
	t.Run("webp decodes as the source", func(t *testing.T) {
		file := files["lossy webp"]
		src, err := webp.Decode(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		im, err := Prepare(file, Config{})
		if err != nil {
			t.Fatal(err)
		}
		ref := image.NewRGBA(src.Bounds())
		draw.Draw(ref, ref.Bounds(), src, image.Point{}, draw.Src)
		if p := psnr(t, decodeOutput(t, im), ref); p < 35 {
			t.Errorf("PSNR %.1f dB", p)
		}
	})
}

// TestFlattenOverWhite: JPEG has no alpha, so transparency becomes white.
func TestFlattenOverWhite(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 2, 1))
	m.SetRGBA(0, 0, color.RGBA{0, 0, 0, 0})       // transparent
	m.SetRGBA(1, 0, color.RGBA{0x40, 0, 0, 0x80}) // half-transparent red, premultiplied
	f := flatten(m)
	if c := f.RGBAAt(0, 0); c != (color.RGBA{0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("transparent pixel: %v, want white", c)
	}
	if c := f.RGBAAt(1, 0); c != (color.RGBA{0x40 + 0x7f, 0x7f, 0x7f, 0xff}) {
		t.Errorf("half-transparent red: %v", c)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, cfg := range map[string]Config{
		"budget too small":     {MaxBytes: 100},
		"budget over the wire": {MaxBytes: MaxImageSize + 1},
		"qualities crossed":    {MinQuality: 90, MaxQuality: 80},
		"floor above min":      {FloorQuality: 50, MinQuality: 40},
		"sides increasing":     {Sides: []int{800, 1600}},
		"side too large":       {Sides: []int{MaxSide + 1}},
		"preview too large":    {PreviewBytes: MaxPreviewSize + 1},
	} {
		if err := cfg.withDefaults().validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	if err := (Config{}).withDefaults().validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
