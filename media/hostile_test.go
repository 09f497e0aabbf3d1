package media

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// sentinels are the errors Prepare, Check and the payload decoders may
// wrap; each error wraps exactly one.
var sentinels = []error{ErrUnsupported, ErrTooLarge, ErrMalformed, ErrNoFit, ErrNotCanonical, ErrBadPayload, ErrMismatch, ErrConfig}

func family(t testing.TB, err error) error {
	t.Helper()
	var found []error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("error %q wraps %d sentinels (%v), want exactly one", err, len(found), found)
	}
	return found[0]
}

// pngHeaderOnly is a PNG signature, an IHDR for w×h and an empty IDAT:
// what a decompression bomb declares before its data.
func pngHeaderOnly(w, h int, depth, colour, interlace byte) []byte {
	ihdr := cat(be32(w), be32(h), []byte{depth, colour, 0, 0, interlace})
	return cat(pngSignature, pngChunk("IHDR", ihdr), pngChunk("IDAT", zlibBytes(make([]byte, 64))), pngChunk("IEND", nil))
}

// jpegFrameOnly is SOI and a frame header for w×h with the given SOF
// marker, precision and sampling factors, then a scan header.
func jpegFrameOnly(sof byte, precision byte, w, h int, sampling ...byte) []byte {
	comps := []byte{byte(len(sampling))}
	for i, s := range sampling {
		comps = append(comps, byte(i+1), s, 0)
	}
	sos := []byte{1, 1, 0, 0, 63, 0}
	return cat([]byte{0xff, 0xd8}, jpegSegment(sof, cat([]byte{precision}, be16(h), be16(w), comps)), jpegSegment(0xda, sos), make([]byte, 32), []byte{0xff, 0xd9})
}

// vp8lFrame is a lossless frame header for w×h (and no pixel data).
func vp8lFrame(w, h int) []byte {
	bits := uint32(w-1) | uint32(h-1)<<14
	return riffChunk("VP8L", cat([]byte{0x2f}, le32(int(bits)), make([]byte, 16)))
}

// vp8Frame is a lossy key frame header for w×h (and no data).
func vp8Frame(w, h int) []byte {
	d := cat([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}, []byte{byte(w), byte(w >> 8)}, []byte{byte(h), byte(h >> 8)}, make([]byte, 16))
	return riffChunk("VP8 ", d)
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestBombs: files that declare more pixels (or more decoder memory)
// than the limits are refused from their headers, before a decoder
// allocates anything for them: Prepare allocates under 1 MiB for each.
func TestBombs(t *testing.T) {
	cases := []struct {
		name string
		file []byte
		want error
	}{
		{"png 100000×100000", pngHeaderOnly(100000, 100000, 8, pngRGBA, 0), ErrTooLarge},
		{"png 2^31-1 wide", pngHeaderOnly(1<<31-1, 1, 8, pngRGBA, 0), ErrTooLarge},
		{"png 16,000,000×3 (48 megapixels in a line)", pngHeaderOnly(16_000_000, 3, 8, pngRGBA, 0), ErrTooLarge},
		{"png 16-bit 6000×6000 (288 MB)", pngHeaderOnly(6000, 6000, 16, pngRGBA, 0), ErrTooLarge},
		{"png interlaced 6000×6000 (288 MB)", pngHeaderOnly(6000, 6000, 8, pngRGBA, 1), ErrTooLarge},
		{"jpeg 65535×65535", jpegFrameOnly(0xc0, 8, 65535, 65535, 0x22, 0x11, 0x11), ErrTooLarge},
		{"progressive jpeg 7000×7000 4:4:4 (735 MB)", jpegFrameOnly(0xc2, 8, 7000, 7000, 0x11, 0x11, 0x11), ErrTooLarge},
		{"webp lossless 16384×16384", riff(vp8lFrame(16384, 16384)), ErrTooLarge},
		{"webp lossy 16383×16383", riff(vp8Frame(16383, 16383)), ErrTooLarge},
		// DecodeConfig reports the 1×1 canvas; the decoder would allocate
		// for the frame's 16384×16384.
		{"webp canvas 1×1, frame 16384×16384", riff(vp8x(0, 1, 1), vp8lFrame(16384, 16384)), ErrMalformed},
		{"webp canvas 16384×16384 with alpha, frame 1×1", riff(vp8x(webpAlpha, 16384, 16384), vp8Frame(1, 1)), ErrMalformed},
		{"file over MaxInputBytes", append(pngHeaderOnly(10, 10, 8, pngRGBA, 0), make([]byte, 41<<20)...), ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = Prepare(tc.file, Config{}) })
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			family(t, err)
			if n > 1<<20 {
				t.Errorf("refusing it allocated %d bytes", n)
			}
		})
	}
}

// TestRefused: truncated, malformed, animated and foreign files get the
// error that says what is wrong.
func TestRefused(t *testing.T) {
	jpg := encodeJPEGFile(t, photoImage(64, 48, 1), 80)
	pngFile := encodePNGFile(t, photoImage(64, 48, 1))
	lossy := readTestdata(t, "blue-purple-pink.lossy.webp")
	_, frame := firstChunk(t, lossy)
	cases := []struct {
		name, file string
		want       error
		says       string
	}{
		{"empty", "", ErrUnsupported, "not a JPEG, PNG or WebP"},
		{"text", "hello, world", ErrUnsupported, "not a JPEG, PNG or WebP"},
		{"gif", "GIF89a\x01\x00\x01\x00\x00\x00\x00;", ErrUnsupported, "GIF"},
		{"heic", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", ErrUnsupported, "HEIC"},
		{"avif", "\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", ErrUnsupported, "AVIF"},
		{"bmp", "BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00", ErrUnsupported, "BMP"},
		{"svg", "<svg xmlns='http://www.w3.org/2000/svg'/>", ErrUnsupported, "SVG"},
		{"pdf", "%PDF-1.7\n", ErrUnsupported, "PDF"},
		{"jpeg cut in its headers", string(jpg[:100]), ErrMalformed, ""},
		{"jpeg cut in its scan", string(jpg[:len(jpg)/2]), ErrMalformed, "jpeg"},
		{"jpeg without EOI", string(jpg[:len(jpg)-2]), ErrMalformed, ""},
		{"12-bit jpeg", string(jpegFrameOnly(0xc1, 12, 64, 64, 0x11)), ErrUnsupported, "12-bit"},
		{"lossless jpeg", string(jpegFrameOnly(0xc3, 8, 64, 64, 0x11)), ErrUnsupported, "lossless"},
		{"arithmetic jpeg", string(jpegFrameOnly(0xc9, 8, 64, 64, 0x11)), ErrUnsupported, "arithmetic"},
		{"jpeg 0 high", string(jpegFrameOnly(0xc0, 8, 64, 0, 0x11)), ErrMalformed, ""},
		{"jpeg with two frames", string(withJPEGSegments(jpg, jpegSegment(0xc0, cat([]byte{8}, be16(8), be16(8), []byte{1, 1, 0x11, 0})))), ErrMalformed, "two frame"},
		{"png cut", string(pngFile[:len(pngFile)/2]), ErrMalformed, ""},
		{"png bad CRC", string(flipByte(pngFile, len(pngFile)/2)), ErrMalformed, ""},
		{"png without IHDR first", string(cat(pngSignature, pngChunk("tEXt", []byte("a\x00b")))), ErrMalformed, "IHDR"},
		{"animated png", string(withPNGChunks(pngFile, pngChunk("acTL", cat(be32(2), be32(0))))), ErrUnsupported, "animated"},
		{"webp cut", string(lossy[:len(lossy)/2]), ErrMalformed, ""},
		{"webp with a short RIFF size", string(cat(lossy[:4], le32(2), lossy[8:])), ErrMalformed, ""},
		{"animated webp", string(riff(vp8x(webpAnimation, 100, 100), riffChunk("ANIM", make([]byte, 6)))), ErrUnsupported, "animated"},
		{"webp animation chunks", string(riff(vp8x(0, 100, 100), riffChunk("ANIM", make([]byte, 6)))), ErrUnsupported, "animated"},
		{"webp without a frame", string(riff(vp8x(0, 100, 100))), ErrMalformed, ""},
		{"webp with a foreign first chunk", string(riff(riffChunk("EXIF", exifBlock(1)), frame)), ErrMalformed, ""},
		{"webp with a corrupt frame", string(riff(vp8Frame(64, 64))), ErrMalformed, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Prepare([]byte(tc.file), Config{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			family(t, err)
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("%q does not say %q", err, tc.says)
			}
		})
	}
}

// TestTruncatedEverywhere: every prefix of a valid file of each format is
// refused with an error, never a panic or an image.
func TestTruncatedEverywhere(t *testing.T) {
	files := map[string][]byte{
		"jpeg": withJPEGSegments(encodeJPEGFile(t, photoImage(48, 32, 2), 80), jpegMetadata(6)...),
		"png":  encodePNGFile(t, photoImage(48, 32, 2)),
		"webp": readTestdata(t, "gopher-doc.8bpp.lossless.webp"),
	}
	for name, file := range files {
		step := max(1, len(file)/400)
		for n := 0; n < len(file)-1; n += step {
			if _, err := Prepare(file[:n], Config{}); err == nil {
				t.Errorf("%s cut to %d of %d bytes was accepted", name, n, len(file))
			} else {
				family(t, err)
			}
		}
	}
}

func flipByte(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0xff
	return out
}
