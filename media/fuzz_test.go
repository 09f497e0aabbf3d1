package media

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpora in testdata")

// The seed corpora live in testdata/fuzz/<FuzzName>/ and run in every plain
// `go test`. Files named seed-* are written by TestSeedCorpus -update; any
// other file there is an input a fuzzing run found and must keep passing.
//
//	go test ./media -run '^$' -fuzz FuzzPrepare -fuzztime 5m

// fuzzConfig keeps each fuzzed Prepare small, so the fuzzer explores
// inputs instead of encoding large images.
var fuzzConfig = Config{
	MaxBytes: 8 << 10, Sides: []int{256, 128}, MaxInputBytes: 1 << 20,
	MaxPixels: 1 << 20, MaxDecodeBytes: 16 << 20,
}

// FuzzPrepare: Prepare never panics, every error wraps exactly one
// sentinel, and whatever it returns fits the budget and passes Check.
func FuzzPrepare(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		im, err := Prepare(data, fuzzConfig)
		if err != nil {
			family(t, err)
			return
		}
		checkImage(t, im, fuzzConfig)
		if max(im.Width, im.Height) > fuzzConfig.Sides[0] && max(im.Width, im.Height) > max(im.Source.Width, im.Source.Height) {
			t.Errorf("%d×%d from a %d×%d source", im.Width, im.Height, im.Source.Width, im.Source.Height)
		}
	})
}

// FuzzCheck: Check never panics, every error wraps exactly one sentinel,
// and what it accepts is the format and size the standard decoder reads
// (when the decoder reads it at all: Check does not read tables).
func FuzzCheck(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Check(data)
		if err != nil {
			family(t, err)
			return
		}
		var c image.Config
		switch info.Format {
		case FormatJPEG:
			c, err = jpeg.DecodeConfig(bytes.NewReader(data))
		case FormatPNG:
			c, err = png.DecodeConfig(bytes.NewReader(data))
		default:
			t.Fatalf("Check accepted a %s", info.Format)
		}
		if err == nil && (c.Width != info.Width || c.Height != info.Height) {
			t.Errorf("Check reads %d×%d, the decoder %d×%d", info.Width, info.Height, c.Width, c.Height)
		}
		if info.Width < 1 || info.Height < 1 || info.Width > MaxSide || info.Height > MaxSide {
			t.Errorf("Check accepted %d×%d", info.Width, info.Height)
		}
	})
}

// FuzzDecodeManifest: the decoder never panics, errors wrap exactly one
// sentinel, and what decodes has exactly one encoding: the input.
func FuzzDecodeManifest(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte) {
		m, err := DecodeManifest(payload)
		if err != nil {
			family(t, err)
			return
		}
		again, err := EncodeManifest(m)
		if err != nil || !bytes.Equal(again, payload) {
			t.Fatalf("%x decodes, but encodes as %x (%v)", payload, again, err)
		}
	})
}

// FuzzDecodeChunk: likewise for chunks.
func FuzzDecodeChunk(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte) {
		data, err := DecodeChunk(payload)
		if err != nil {
			family(t, err)
			return
		}
		again, err := EncodeChunk(data)
		if err != nil || !bytes.Equal(again, payload) {
			t.Fatalf("%x decodes, but encodes as %x (%v)", payload, again, err)
		}
	})
}

type fuzzSeed struct {
	name string
	data []byte
}

// prepareSeeds: small files of every format and variant the decoders take,
// with metadata, cut short, bombs, animations and foreign formats.
func prepareSeeds(t testing.TB) []fuzzSeed {
	t.Helper()
	photo := photoImage(40, 30, 11)
	gray := image.NewGray(photo.Bounds())
	draw.Draw(gray, gray.Bounds(), photo, image.Point{}, draw.Src)
	deep := image.NewNRGBA64(photo.Bounds())
	draw.Draw(deep, deep.Bounds(), photo, image.Point{}, draw.Src)
	pal := image.NewPaletted(photo.Bounds(), color.Palette{color.Black, color.White, color.Transparent})
	draw.Draw(pal, pal.Bounds(), photo, image.Point{}, draw.Src)
	jpg := encodeJPEGFile(t, photo, 75)
	pngFile := encodePNGFile(t, photo)
	lossy := readTestdata(t, "blue-purple-pink.lossy.webp")
	seeds := []fuzzSeed{
		{"jpeg", jpg},
		{"jpeg-metadata-rotated", withJPEGSegments(jpg, jpegMetadata(6)...)},
		{"jpeg-gray", encodeJPEGFile(t, gray, 75)},
		{"jpeg-cut", jpg[:len(jpg)*2/3]},
		{"png", pngFile},
		{"png-metadata", withPNGChunks(pngFile, pngMetadata()...)},
		{"png-gray", encodePNGFile(t, gray)},
		{"png-16bit", encodePNGFile(t, deep)},
		{"png-paletted", encodePNGFile(t, pal)},
		{"png-cut", pngFile[:len(pngFile)/2]},
		{"png-animated", withPNGChunks(pngFile, pngChunk("acTL", cat(be32(2), be32(0))))},
		{"png-bomb", pngHeaderOnly(100000, 100000, 8, pngRGBA, 0)},
		{"jpeg-bomb", jpegFrameOnly(0xc2, 8, 7000, 7000, 0x11, 0x11, 0x11)},
		{"webp-lossy", lossy},
		{"webp-lossless", readTestdata(t, "gopher-doc.8bpp.lossless.webp")},
		{"webp-metadata", webpWithMetadata(t, lossy)},
		{"webp-cut", lossy[:len(lossy)/2]},
		{"webp-canvas-mismatch", riff(vp8x(0, 1, 1), vp8lFrame(16384, 16384))},
		{"webp-animated", riff(vp8x(webpAnimation, 100, 100), riffChunk("ANIM", make([]byte, 6)))},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")},
		{"empty", nil},
	}
	return seeds
}

func checkSeeds(t testing.TB) []fuzzSeed {
	t.Helper()
	im, err := Prepare(encodeJPEGFile(t, photoImage(48, 36, 12), 90), fuzzConfig)
	if err != nil {
		t.Fatal(err)
	}
	flat, err := Prepare(encodePNGFile(t, screenshotImage(t, 64, 40)), fuzzConfig)
	if err != nil {
		t.Fatal(err)
	}
	return []fuzzSeed{
		{"jpeg", im.Data},
		{"preview", im.Preview},
		{"png", flat.Data},
		{"jpeg-exif", withJPEGSegments(im.Data, jpegMetadata(1)[0])},
		{"jpeg-trailing", append(slices.Clone(im.Data), 0)},
		{"png-text", withPNGChunks(flat.Data, pngChunk("tEXt", []byte("a\x00b")))},
	}
}

func manifestSeeds(t testing.TB) []fuzzSeed {
	t.Helper()
	im, err := Prepare(encodeJPEGFile(t, photoImage(48, 36, 12), 90), fuzzConfig)
	if err != nil {
		t.Fatal(err)
	}
	m := NewManifest(im, chunkIDs(1), "the map", "ada")
	full, err := EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	m.Preview, m.Caption, m.Nick = nil, "", ""
	bare, err := EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	return []fuzzSeed{{"full", full}, {"bare", bare}, {"truncated", full[:len(full)-1]}, {"reordered", swapFirstFields(t, bare)}, {"empty", nil}}
}

func chunkSeeds(t testing.TB) []fuzzSeed {
	t.Helper()
	p, err := EncodeChunk([]byte("a piece of a picture"))
	if err != nil {
		t.Fatal(err)
	}
	return []fuzzSeed{{"chunk", p}, {"empty", nil}, {"truncated", p[:len(p)-1]}}
}

func corpusFile(data []byte) string { return fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data) }

// TestSeedCorpus keeps the seed files in testdata/fuzz in step with the
// code: a change of format fails here until -update rewrites them.
func TestSeedCorpus(t *testing.T) {
	corpora := map[string][]fuzzSeed{
		"FuzzPrepare":        prepareSeeds(t),
		"FuzzCheck":          checkSeeds(t),
		"FuzzDecodeManifest": manifestSeeds(t),
		"FuzzDecodeChunk":    chunkSeeds(t),
	}
	for fuzz, seeds := range corpora {
		for _, s := range seeds {
			path := filepath.Join("testdata", "fuzz", fuzz, "seed-"+s.name)
			want := corpusFile(s.data)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%v (run `go test ./media -run TestSeedCorpus -update`)", err)
				continue
			}
			if string(got) != want {
				t.Errorf("%s is stale; run `go test ./media -run TestSeedCorpus -update`", path)
			}
		}
	}
}
