package media

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// Builders of containers with metadata, written from the formats' specs:
// JPEG segments (ITU T.81 B.1), PNG chunks (PNG spec 5.3), RIFF chunks
// (WebP container spec) and an EXIF TIFF block (EXIF 2.3, 4.6).

// secret marks every piece of metadata the tests put in; none may reach
// an output.
const secret = "STARLING-SECRET"

func be16(v int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func be32(v int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
func le32(v int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// exifBlock is a big-endian TIFF block with an image description, an
// orientation and a GPS IFD holding 52°31'12" N.
func exifBlock(orientation int) []byte {
	desc := []byte(secret + "-EXIF-description\x00")
	const ifd0 = 8
	const n0 = 3
	gps := ifd0 + 2 + 12*n0 + 4
	const n1 = 2
	data := gps + 2 + 12*n1 + 4
	descOff, latOff := data, data+len(desc)
	entry := func(tag, typ, count int, value []byte) []byte {
		v := make([]byte, 4)
		copy(v, value)
		return cat(be16(tag), be16(typ), be32(count), v)
	}
	lat := cat(be32(52), be32(1), be32(31), be32(1), be32(12), be32(1))
	return cat([]byte("MM\x00\x2a"), be32(ifd0),
		be16(n0),
		entry(0x010e, 2, len(desc), be32(descOff)),
		entry(0x0112, 3, 1, be16(orientation)),
		entry(0x8825, 4, 1, be32(gps)),
		be32(0),
		be16(n1),
		entry(0x0001, 2, 2, []byte("N\x00")),
		entry(0x0002, 5, 3, be32(latOff)),
		be32(0),
		desc, lat)
}

func jpegSegment(marker byte, payload []byte) []byte {
	return cat([]byte{0xff, marker}, be16(len(payload)+2), payload)
}

// jpegMetadata is every kind of metadata a phone or an editor puts in a
// JPEG: EXIF with GPS, XMP, an ICC profile, Photoshop IRB/IPTC, a comment.
func jpegMetadata(orientation int) [][]byte {
	return [][]byte{
		jpegSegment(0xe1, cat([]byte(exifHeader), exifBlock(orientation))),
		jpegSegment(0xe1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>52,31.2N</exif:GPSLatitude>"+secret+"-XMP</x:xmpmeta>")),
		jpegSegment(0xe2, cat([]byte("ICC_PROFILE\x00\x01\x01"), fakeICC())),
		jpegSegment(0xed, []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10"+secret+"-IPTC")),
		jpegSegment(0xfe, []byte(secret+"-comment")),
	}
}

// withJPEGSegments puts segments right after SOI, where cameras put them.
func withJPEGSegments(j []byte, segs ...[]byte) []byte {
	return cat(j[:2], bytes.Join(segs, nil), j[2:])
}

func fakeICC() []byte {
	p := make([]byte, 128)
	copy(p[4:], "lcms")
	copy(p[12:], "mntrRGB XYZ ")
	copy(p[36:], "acsp")
	return cat(be32(128+len(secret)+4), p[4:], []byte(secret+"-ICC"))
}

func pngChunk(typ string, data []byte) []byte {
	body := cat([]byte(typ), data)
	return cat(be32(len(data)), body, be32(int(crc32.ChecksumIEEE(body))))
}

func zlibBytes(b []byte) []byte {
	var out bytes.Buffer
	w := zlib.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// pngMetadata is every ancillary chunk that carries metadata.
func pngMetadata() [][]byte {
	return [][]byte{
		pngChunk("iCCP", cat([]byte("icc\x00\x00"), zlibBytes(fakeICC()))),
		pngChunk("tEXt", []byte("Comment\x00"+secret+"-tEXt")),
		pngChunk("zTXt", cat([]byte("Raw profile type exif\x00\x00"), zlibBytes([]byte(secret+"-zTXt")))),
		pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta>"+secret+"-iTXt</x:xmpmeta>")),
		pngChunk("eXIf", exifBlock(6)),
		pngChunk("tIME", []byte{0x07, 0xea, 3, 14, 15, 9, 26}),
		pngChunk("stLg", []byte(secret+"-private-chunk")),
	}
}

// withPNGChunks puts chunks right after IHDR.
func withPNGChunks(p []byte, chunks ...[]byte) []byte {
	ihdrEnd := len(pngSignature) + 12 + 13
	return cat(p[:ihdrEnd], bytes.Join(chunks, nil), p[ihdrEnd:])
}

func riffChunk(id string, data []byte) []byte {
	out := cat([]byte(id), le32(len(data)), data)
	if len(data)%2 == 1 {
		out = append(out, 0)
	}
	return out
}

func riff(chunks ...[]byte) []byte {
	body := cat([]byte("WEBP"), bytes.Join(chunks, nil))
	return cat([]byte("RIFF"), le32(len(body)), body)
}

// vp8x is an extended-format header for a canvas of w×h.
func vp8x(flags byte, w, h int) []byte {
	d := make([]byte, 10)
	d[0] = flags
	d[4], d[5], d[6] = byte(w-1), byte((w-1)>>8), byte((w-1)>>16)
	d[7], d[8], d[9] = byte(h-1), byte((h-1)>>8), byte((h-1)>>16)
	return riffChunk("VP8X", d)
}

// firstChunk returns the first chunk (header included) of a simple WebP.
func firstChunk(t testing.TB, webp []byte) (id string, chunk []byte) {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(webp[16:]))
	end := 20 + n + n%2
	return string(webp[12:16]), webp[12:end]
}

// webpWithMetadata wraps a simple lossy WebP's frame in an extended
// container with an ICC profile, EXIF and XMP.
func webpWithMetadata(t testing.TB, simple []byte) []byte {
	t.Helper()
	id, frame := firstChunk(t, simple)
	if id != "VP8 " {
		t.Fatalf("want a lossy WebP, got chunk %q", id)
	}
	w := int(binary.LittleEndian.Uint16(frame[8+6:]) & 0x3fff)
	h := int(binary.LittleEndian.Uint16(frame[8+8:]) & 0x3fff)
	const icc, exif, xmp = 1 << 5, 1 << 3, 1 << 2
	return riff(vp8x(icc|exif|xmp, w, h),
		riffChunk("ICCP", fakeICC()),
		frame,
		riffChunk("EXIF", exifBlock(6)),
		riffChunk("XMP ", []byte("<x:xmpmeta>"+secret+"-XMP</x:xmpmeta>")))
}
