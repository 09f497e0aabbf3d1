package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// header is what a scan of the container learns before anything is
// decoded: the dimensions the decoder will allocate for (which for WebP
// are not always what image.DecodeConfig reports), the orientation, and an
// estimate of the decoder's allocations.
type header struct {
	format        Format
	width, height int
	orientation   int
	// decodeBytes estimates what the standard decoder allocates for this
	// image, from what its implementation does (pixels, coefficients,
	// passes, transforms).
	decodeBytes int64
}

var (
	pngSignature = []byte("\x89PNG\r\n\x1a\n")
	jpegSOI      = []byte{0xff, 0xd8, 0xff}
)

// inspect identifies data by its first bytes (never by a name) and scans
// its container.
func inspect(data []byte) (header, error) {
	switch {
	case bytes.HasPrefix(data, jpegSOI):
		return inspectJPEG(data)
	case bytes.HasPrefix(data, pngSignature):
		return inspectPNG(data)
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return inspectWebP(data)
	}
	if name := otherFormat(data); name != "" {
		return header{}, fmt.Errorf("%w: %s; send a JPEG, PNG or WebP (a screenshot or an export from the photo app)", ErrUnsupported, name)
	}
	return header{}, fmt.Errorf("%w: not a JPEG, PNG or WebP image", ErrUnsupported)
}

// otherFormat names formats people may try to send, for a useful error.
func otherFormat(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "GIF"
	case bytes.HasPrefix(b, []byte("BM")):
		return "BMP"
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return "TIFF (or a camera's raw file)"
	case bytes.HasPrefix(b, []byte("%PDF")):
		return "PDF"
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		switch string(b[8:12]) {
		case "avif", "avis":
			return "AVIF"
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			return "HEIC"
		}
		return "a video or an ISO media file"
	case bytes.HasPrefix(bytes.TrimSpace(b), []byte("<")):
		return "SVG or another text format"
	}
	return ""
}

// inspectJPEG walks the marker segments up to the first scan.
func inspectJPEG(b []byte) (header, error) {
	h := header{format: FormatJPEG, orientation: orientNormal}
	sawExif, sawSOF := false, false
	i := 2
	for {
		if i >= len(b) {
			return header{}, fmt.Errorf("%w: JPEG ends before its first scan", ErrMalformed)
		}
		if b[i] != 0xff {
			return header{}, fmt.Errorf("%w: JPEG has no marker at byte %d", ErrMalformed, i)
		}
		for i < len(b) && b[i] == 0xff {
			i++
		}
		if i >= len(b) {
			return header{}, fmt.Errorf("%w: JPEG ends before its first scan", ErrMalformed)
		}
		m := b[i]
		i++
		switch {
		case m >= 0xd0 && m <= 0xd7, m == 0x01:
			continue // standalone markers
		case m == 0xd8, m == 0xd9, m == 0x00:
			return header{}, fmt.Errorf("%w: JPEG marker %#x before its first scan", ErrMalformed, m)
		}
		if i+2 > len(b) {
			return header{}, fmt.Errorf("%w: JPEG ends inside a segment", ErrMalformed)
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return header{}, fmt.Errorf("%w: JPEG segment %#x of %d bytes, %d left", ErrMalformed, m, n, len(b)-i)
		}
		seg := b[i+2 : i+n]
		i += n
		switch m {
		case 0xe1:
			if !sawExif && bytes.HasPrefix(seg, []byte(exifHeader)) {
				sawExif = true
				h.orientation = exifOrientation(seg[len(exifHeader):])
			}
		case 0xc0, 0xc1, 0xc2:
			if sawSOF {
				return header{}, fmt.Errorf("%w: JPEG has two frame headers", ErrMalformed)
			}
			sawSOF = true
			if err := jpegFrame(&h, seg, m == 0xc2); err != nil {
				return header{}, err
			}
		case 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf:
			return header{}, fmt.Errorf("%w: lossless, hierarchical or arithmetic-coded JPEG (SOF %#x)", ErrUnsupported, m)
		case 0xda:
			if !sawSOF {
				return header{}, fmt.Errorf("%w: JPEG scan before its frame header", ErrMalformed)
			}
			return h, nil
		}
	}
}

// jpegFrame reads a SOF0/1/2 segment: precision, dimensions, components
// and their sampling factors, and estimates image/jpeg's allocations: each
// component's samples at one byte (padded to whole MCUs), four bytes per
// sample more for a progressive image's coefficients, and an RGBA or CMYK
// image for four components or sampling the decoder converts.
func jpegFrame(h *header, seg []byte, progressive bool) error {
	if len(seg) < 6 {
		return fmt.Errorf("%w: JPEG frame header of %d bytes", ErrMalformed, len(seg))
	}
	if seg[0] != 8 {
		return fmt.Errorf("%w: %d-bit JPEG", ErrUnsupported, seg[0])
	}
	h.height = int(binary.BigEndian.Uint16(seg[1:]))
	h.width = int(binary.BigEndian.Uint16(seg[3:]))
	nc := int(seg[5])
	if h.width == 0 || h.height == 0 {
		return fmt.Errorf("%w: JPEG of %d×%d pixels", ErrMalformed, h.width, h.height)
	}
	if nc != 1 && nc != 3 && nc != 4 {
		return fmt.Errorf("%w: JPEG with %d components", ErrUnsupported, nc)
	}
	if len(seg) != 6+3*nc {
		return fmt.Errorf("%w: JPEG frame header of %d bytes for %d components", ErrMalformed, len(seg), nc)
	}
	hmax, vmax := 1, 1
	hs, vs := make([]int, nc), make([]int, nc)
	for c := range nc {
		f := seg[6+3*c+1]
		hs[c], vs[c] = int(f>>4), int(f&0x0f)
		if hs[c] < 1 || hs[c] > 4 || vs[c] < 1 || vs[c] > 4 {
			return fmt.Errorf("%w: JPEG sampling factor %#x", ErrMalformed, f)
		}
		hmax, vmax = max(hmax, hs[c]), max(vmax, vs[c])
	}
	mcuW, mcuH := 8*hmax, 8*vmax
	padW := int64((h.width + mcuW - 1) / mcuW * mcuW)
	padH := int64((h.height + mcuH - 1) / mcuH * mcuH)
	var samples int64
	for c := range nc {
		samples += padW * int64(hs[c]) / int64(hmax) * padH * int64(vs[c]) / int64(vmax)
	}
	per := int64(1)
	if progressive {
		per += 4
	}
	h.decodeBytes = samples * per
	converts := nc == 4
	if nc == 3 && (hs[1] != 1 || vs[1] != 1 || hs[2] != 1 || vs[2] != 1) {
		converts = true
	}
	if converts {
		h.decodeBytes += 4 * padW * padH
	}
	return nil
}

// PNG colour types.
const (
	pngGray      = 0
	pngRGB       = 2
	pngPalette   = 3
	pngGrayAlpha = 4
	pngRGBA      = 6
)

// inspectPNG reads IHDR and the chunks up to the first IDAT, refusing
// animated PNGs (an acTL chunk).
func inspectPNG(b []byte) (header, error) {
	h := header{format: FormatPNG, orientation: orientNormal}
	i := len(pngSignature)
	first := true
	for {
		if i+8 > len(b) {
			return header{}, fmt.Errorf("%w: PNG ends before its image data", ErrMalformed)
		}
		n := binary.BigEndian.Uint32(b[i:])
		typ := string(b[i+4 : i+8])
		if uint64(n)+12 > uint64(len(b)-i) {
			return header{}, fmt.Errorf("%w: PNG chunk %q of %d bytes, %d left", ErrMalformed, typ, n, len(b)-i-12)
		}
		data := b[i+8 : i+8+int(n)]
		i += 12 + int(n)
		if first != (typ == "IHDR") {
			return header{}, fmt.Errorf("%w: PNG does not start with IHDR", ErrMalformed)
		}
		first = false
		switch typ {
		case "IHDR":
			if err := pngHeader(&h, data); err != nil {
				return header{}, err
			}
		case "acTL":
			return header{}, fmt.Errorf("%w: animated PNG; send a still image", ErrUnsupported)
		case "IDAT":
			return h, nil
		case "IEND":
			return header{}, fmt.Errorf("%w: PNG without image data", ErrMalformed)
		}
	}
}

// pngHeader reads IHDR and estimates image/png's allocations: the image at
// its colour type's Go pixel size, twice for an interlaced image (each pass
// is decoded into an image of its own, then merged).
func pngHeader(h *header, d []byte) error {
	if len(d) != 13 {
		return fmt.Errorf("%w: PNG IHDR of %d bytes", ErrMalformed, len(d))
	}
	w, ht := binary.BigEndian.Uint32(d[0:]), binary.BigEndian.Uint32(d[4:])
	if w == 0 || ht == 0 || w > 1<<31-1 || ht > 1<<31-1 {
		return fmt.Errorf("%w: PNG of %d×%d pixels", ErrMalformed, w, ht)
	}
	if w > 1<<24 || ht > 1<<24 {
		return fmt.Errorf("%w: PNG of %d×%d pixels", ErrTooLarge, w, ht)
	}
	h.width, h.height = int(w), int(ht)
	depth, ct, interlace := d[8], d[9], d[12]
	per := int64(4)
	switch {
	case depth == 16:
		per = 8
	case ct == pngGray || ct == pngPalette:
		per = 4 // a tRNS chunk turns them into NRGBA
	}
	h.decodeBytes = int64(h.width) * int64(h.height) * per
	if interlace == 1 {
		h.decodeBytes *= 2
	}
	return nil
}

// WebP VP8X flags.
const (
	webpAnimation = 1 << 1
	webpAlpha     = 1 << 4
)

// inspectWebP walks the RIFF chunks. golang.org/x/image/webp takes the
// canvas size from VP8X for DecodeConfig but allocates by the frame's own
// header, and reads the alpha plane by the canvas: so the frame must be the
// canvas, and both are checked here.
func inspectWebP(b []byte) (header, error) {
	h := header{format: FormatWebP, orientation: orientNormal}
	size := uint64(binary.LittleEndian.Uint32(b[4:]))
	if size < 4 || size+8 > uint64(len(b)) {
		return header{}, fmt.Errorf("%w: WebP container of %d bytes in a file of %d", ErrMalformed, size, len(b))
	}
	b = b[:size+8]
	var (
		ext           bool
		alpha         bool
		canvasW       int
		canvasH       int
		sawFrame      bool
		perPixelBytes int64
	)
	for i := 12; i < len(b); {
		if i+8 > len(b) {
			return header{}, fmt.Errorf("%w: WebP ends inside a chunk header", ErrMalformed)
		}
		id := string(b[i : i+4])
		n := uint64(binary.LittleEndian.Uint32(b[i+4:]))
		if n > uint64(len(b)-i-8) {
			return header{}, fmt.Errorf("%w: WebP chunk %q of %d bytes, %d left", ErrMalformed, id, n, len(b)-i-8)
		}
		d := b[i+8 : i+8+int(n)]
		if i == 12 && id != "VP8X" && id != "VP8 " && id != "VP8L" {
			return header{}, fmt.Errorf("%w: WebP starts with chunk %q", ErrMalformed, id)
		}
		i += 8 + int(n) + int(n&1)
		switch id {
		case "VP8X":
			if ext || sawFrame || len(d) != 10 {
				return header{}, fmt.Errorf("%w: WebP extended header", ErrMalformed)
			}
			ext = true
			if d[0]&webpAnimation != 0 {
				return header{}, fmt.Errorf("%w: animated WebP; send a still image", ErrUnsupported)
			}
			alpha = d[0]&webpAlpha != 0
			canvasW = int(d[4]) | int(d[5])<<8 | int(d[6])<<16 + 1
			canvasH = int(d[7]) | int(d[8])<<8 | int(d[9])<<16 + 1
		case "ANIM", "ANMF":
			return header{}, fmt.Errorf("%w: animated WebP; send a still image", ErrUnsupported)
		case "VP8 ":
			if sawFrame {
				continue
			}
			sawFrame = true
			if len(d) < 10 || d[0]&1 != 0 || d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a {
				return header{}, fmt.Errorf("%w: WebP lossy frame header", ErrMalformed)
			}
			h.width = int(binary.LittleEndian.Uint16(d[6:]) & 0x3fff)
			h.height = int(binary.LittleEndian.Uint16(d[8:]) & 0x3fff)
			// YCbCr 4:2:0 in whole macroblocks; an alpha plane, which
			// when compressed is decoded as a lossless image first.
			perPixelBytes = 2
			if alpha {
				perPixelBytes += 1 + 8
			}
		case "VP8L":
			if sawFrame {
				continue
			}
			sawFrame = true
			if len(d) < 5 || d[0] != 0x2f {
				return header{}, fmt.Errorf("%w: WebP lossless frame header", ErrMalformed)
			}
			bits := binary.LittleEndian.Uint32(d[1:])
			h.width = int(bits&0x3fff) + 1
			h.height = int(bits>>14&0x3fff) + 1
			// The ARGB pixels and a colour-indexing transform's output.
			perPixelBytes = 8
		}
	}
	if !sawFrame {
		return header{}, fmt.Errorf("%w: WebP without an image", ErrMalformed)
	}
	if h.width == 0 || h.height == 0 {
		return header{}, fmt.Errorf("%w: WebP of %d×%d pixels", ErrMalformed, h.width, h.height)
	}
	if ext && (canvasW != h.width || canvasH != h.height) {
		return header{}, fmt.Errorf("%w: WebP frame of %d×%d pixels on a canvas of %d×%d", ErrMalformed, h.width, h.height, canvasW, canvasH)
	}
	padW, padH := int64((h.width+15)/16*16), int64((h.height+15)/16*16)
	h.decodeBytes = padW * padH * perPixelBytes
	return h, nil
}
