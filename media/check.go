package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Info is what Check learns of image bytes.
type Info struct {
	Format        Format
	Width, Height int
}

// Check accepts image bytes only in the form Prepare writes, so a node
// shows and serves no metadata even from a modified client:
//
//   - JPEG: SOI, then only DQT, DHT and exactly one SOF0 (baseline, 8-bit,
//     1 or 3 components), exactly one SOS whose scan holds only stuffed
//     bytes and restart markers, and EOI as the last two bytes. No APPn
//     (EXIF, XMP, ICC, JFIF), no COM, nothing after EOI.
//   - PNG: IHDR (not interlaced), PLTE and tRNS where the colour type
//     allows them, IDAT chunks one after another, and IEND as the last
//     chunk, every CRC right. No text, time, EXIF, ICC or other chunk.
//
// Either way each side is 1 to MaxSide pixels. Check reads headers and
// structure only; it does not decode pixels, so it is cheap enough for
// every node and leaves pixel decoding to whoever shows the image.
// Errors wrap ErrNotCanonical or ErrMalformed.
func Check(data []byte) (Info, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xd8}):
		return checkJPEG(data)
	case bytes.HasPrefix(data, pngSignature):
		return checkPNG(data)
	}
	return Info{}, fmt.Errorf("%w: neither JPEG nor PNG", ErrNotCanonical)
}

// CheckPreview is Check for a manifest's preview: a JPEG of at most
// MaxPreviewSize bytes and PreviewSide pixels a side.
func CheckPreview(data []byte) error {
	if len(data) > MaxPreviewSize {
		return fmt.Errorf("%w: preview of %d bytes, limit %d", ErrNotCanonical, len(data), MaxPreviewSize)
	}
	info, err := Check(data)
	if err != nil {
		return err
	}
	if info.Format != FormatJPEG || info.Width > PreviewSide || info.Height > PreviewSide {
		return fmt.Errorf("%w: preview is a %d×%d %s, want a JPEG of at most %d a side", ErrNotCanonical,
			info.Width, info.Height, info.Format, PreviewSide)
	}
	return nil
}

func checkJPEG(b []byte) (Info, error) {
	info := Info{Format: FormatJPEG}
	var sawDQT, sawDHT, sawSOF bool
	i := 2
	for {
		if i+4 > len(b) {
			return Info{}, fmt.Errorf("%w: JPEG ends before its scan", ErrMalformed)
		}
		if b[i] != 0xff {
			return Info{}, fmt.Errorf("%w: JPEG has no marker at byte %d", ErrNotCanonical, i)
		}
		m := b[i+1]
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return Info{}, fmt.Errorf("%w: JPEG segment %#x of %d bytes, %d left", ErrMalformed, m, n, len(b)-i-2)
		}
		seg := b[i+4 : i+2+n]
		i += 2 + n
		switch m {
		case 0xdb:
			sawDQT = true
		case 0xc4:
			sawDHT = true
		case 0xc0:
			if sawSOF {
				return Info{}, fmt.Errorf("%w: JPEG has two frame headers", ErrNotCanonical)
			}
			sawSOF = true
			if len(seg) < 6 || seg[0] != 8 || (seg[5] != 1 && seg[5] != 3) || len(seg) != 6+3*int(seg[5]) {
				return Info{}, fmt.Errorf("%w: JPEG frame header is not 8-bit baseline with 1 or 3 components", ErrNotCanonical)
			}
			info.Height = int(binary.BigEndian.Uint16(seg[1:]))
			info.Width = int(binary.BigEndian.Uint16(seg[3:]))
			if err := checkSides(info); err != nil {
				return Info{}, err
			}
		case 0xda:
			if !sawDQT || !sawDHT || !sawSOF {
				return Info{}, fmt.Errorf("%w: JPEG scan before its tables and frame header", ErrNotCanonical)
			}
			return info, checkScan(b, i)
		default:
			return Info{}, fmt.Errorf("%w: JPEG segment %#x (metadata or a feature Prepare does not write)", ErrNotCanonical, m)
		}
	}
}

// checkScan checks that the entropy-coded data from i holds no marker but
// restarts and that EOI ends the file.
func checkScan(b []byte, i int) error {
	end := len(b) - 2
	if end < i || b[end] != 0xff || b[end+1] != 0xd9 {
		return fmt.Errorf("%w: JPEG does not end with EOI", ErrNotCanonical)
	}
	for i < end {
		if b[i] != 0xff {
			i++
			continue
		}
		if next := b[i+1]; next != 0x00 && (next < 0xd0 || next > 0xd7) {
			return fmt.Errorf("%w: JPEG marker %#x inside or after the scan", ErrNotCanonical, next)
		}
		i += 2
	}
	if i != end {
		return fmt.Errorf("%w: JPEG scan runs into EOI", ErrNotCanonical)
	}
	return nil
}

func checkPNG(b []byte) (Info, error) {
	info := Info{Format: FormatPNG}
	var (
		colour             byte
		sawPLTE, sawTRNS   bool
		idats              int
		inIDAT, afterIDATs bool
	)
	for i, n := len(pngSignature), 0; ; n++ {
		if i+12 > len(b) {
			return Info{}, fmt.Errorf("%w: PNG ends before IEND", ErrMalformed)
		}
		size := binary.BigEndian.Uint32(b[i:])
		if uint64(size) > uint64(len(b)-i-12) {
			return Info{}, fmt.Errorf("%w: PNG chunk of %d bytes, %d left", ErrMalformed, size, len(b)-i-12)
		}
		typ := string(b[i+4 : i+8])
		data := b[i+8 : i+8+int(size)]
		if crc32.ChecksumIEEE(b[i+4:i+8+int(size)]) != binary.BigEndian.Uint32(b[i+8+int(size):]) {
			return Info{}, fmt.Errorf("%w: PNG chunk %q has a bad CRC", ErrMalformed, typ)
		}
		i += 12 + int(size)
		if (n == 0) != (typ == "IHDR") {
			return Info{}, fmt.Errorf("%w: PNG does not start with IHDR", ErrNotCanonical)
		}
		if inIDAT && typ != "IDAT" {
			inIDAT, afterIDATs = false, true
		}
		switch typ {
		case "IHDR":
			if len(data) != 13 || data[10] != 0 || data[11] != 0 || data[12] != 0 || !pngDepthOK(data[9], data[8]) {
				return Info{}, fmt.Errorf("%w: PNG header is not one Prepare writes", ErrNotCanonical)
			}
			colour = data[9]
			w, h := binary.BigEndian.Uint32(data), binary.BigEndian.Uint32(data[4:])
			if w > MaxSide || h > MaxSide {
				return Info{}, fmt.Errorf("%w: PNG of %d×%d pixels, each side at most %d", ErrNotCanonical, w, h, MaxSide)
			}
			info.Width, info.Height = int(w), int(h)
			if err := checkSides(info); err != nil {
				return Info{}, err
			}
		case "PLTE":
			if colour != pngPalette || sawPLTE || sawTRNS || idats > 0 || size == 0 || size%3 != 0 || size > 3*256 {
				return Info{}, fmt.Errorf("%w: PNG palette out of place", ErrNotCanonical)
			}
			sawPLTE = true
		case "tRNS":
			if colour != pngPalette || !sawPLTE || sawTRNS || idats > 0 || size > 256 {
				return Info{}, fmt.Errorf("%w: PNG transparency out of place", ErrNotCanonical)
			}
			sawTRNS = true
		case "IDAT":
			if afterIDATs || (colour == pngPalette && !sawPLTE) {
				return Info{}, fmt.Errorf("%w: PNG image data out of place", ErrNotCanonical)
			}
			inIDAT = true
			idats++
		case "IEND":
			if size != 0 || idats == 0 || i != len(b) {
				return Info{}, fmt.Errorf("%w: PNG IEND is not the last chunk after the image data", ErrNotCanonical)
			}
			return info, nil
		default:
			return Info{}, fmt.Errorf("%w: PNG chunk %q (metadata or a feature Prepare does not write)", ErrNotCanonical, typ)
		}
	}
}

// pngDepthOK: the colour type and bit depth pairs PNG allows.
func pngDepthOK(colour, depth byte) bool {
	switch colour {
	case pngGray:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16
	case pngPalette:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8
	case pngRGB, pngGrayAlpha, pngRGBA:
		return depth == 8 || depth == 16
	}
	return false
}

func checkSides(info Info) error {
	if info.Width < 1 || info.Height < 1 || info.Width > MaxSide || info.Height > MaxSide {
		return fmt.Errorf("%w: %s of %d×%d pixels, each side 1 to %d", ErrNotCanonical, info.Format, info.Width, info.Height, MaxSide)
	}
	return nil
}
