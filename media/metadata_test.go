package media

import (
	"bytes"
	"image"
	"testing"
)

// metadataMarkers are byte strings that only metadata puts in a file.
var metadataMarkers = []string{secret, "Exif", "http://ns.adobe.com", "ICC_PROFILE", "8BIM", "xmpmeta", "acsp", "mntr"}

// TestMetadataStripped is the proof that nothing but pixels survives: the
// inputs carry EXIF with GPS coordinates and a description, XMP, ICC
// profiles, Photoshop IPTC, comments, PNG text, time and private chunks,
// and WebP EXIF, XMP and ICC chunks. Each input is first shown to hold
// its metadata and to decode with the standard decoders (so Prepare really
// had to strip it); each output then holds none of the markers and passes
// Check, which admits only the segments and chunks that carry pixels.
func TestMetadataStripped(t *testing.T) {
	photo := photoImage(320, 240, 9)
	files := map[string][]byte{
		"jpeg":          withJPEGSegments(encodeJPEGFile(t, photo, 90), jpegMetadata(1)...),
		"jpeg, rotated": withJPEGSegments(encodeJPEGFile(t, photo, 90), jpegMetadata(6)...),
		"png":           withPNGChunks(encodePNGFile(t, photo), pngMetadata()...),
		"png, flat":     withPNGChunks(encodePNGFile(t, screenshotImage(t, 480, 300)), pngMetadata()...),
		"webp":          webpWithMetadata(t, readTestdata(t, "blue-purple-pink.lossy.webp")),
	}
	for name, file := range files {
		t.Run(name, func(t *testing.T) {
			if !bytes.Contains(file, []byte(secret)) {
				t.Fatal("the input holds no metadata")
			}
			if _, _, err := image.Decode(bytes.NewReader(file)); err != nil {
				t.Fatalf("the input does not decode: %v", err)
			}
			im, err := Prepare(file, Config{})
			if err != nil {
				t.Fatal(err)
			}
			checkImage(t, im, Config{})
			for _, out := range [][]byte{im.Data, im.Preview} {
				for _, m := range metadataMarkers {
					if bytes.Contains(out, []byte(m)) {
						t.Errorf("the %s output holds %q", im.Format, m)
					}
				}
			}
		})
	}
}

// TestCheckRefusesMetadata: Check, which every node applies to what it
// receives, refuses each kind of metadata a modified client might leave
// in, and anything after the image's end.
func TestCheckRefusesMetadata(t *testing.T) {
	jpg := encodeJPEGFile(t, photoImage(64, 48, 1), 80)
	pngFile := encodePNGFile(t, photoImage(64, 48, 1))
	if _, err := Check(jpg); err != nil {
		t.Fatalf("a plain JPEG: %v", err)
	}
	if _, err := Check(pngFile); err != nil {
		t.Fatalf("a plain PNG: %v", err)
	}
	for i, seg := range jpegMetadata(1) {
		if _, err := Check(withJPEGSegments(jpg, seg)); err == nil {
			t.Errorf("JPEG with metadata segment %d (marker %#x) accepted", i, seg[1])
		}
	}
	jfif := jpegSegment(0xe0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	if _, err := Check(withJPEGSegments(jpg, jfif)); err == nil {
		t.Error("JPEG with a JFIF segment accepted")
	}
	if _, err := Check(append(bytes.Clone(jpg), "tail"...)); err == nil {
		t.Error("JPEG with bytes after EOI accepted")
	}
	for _, c := range pngMetadata() {
		if _, err := Check(withPNGChunks(pngFile, c)); err == nil {
			t.Errorf("PNG with chunk %q accepted", c[4:8])
		}
	}
	if _, err := Check(append(bytes.Clone(pngFile), pngChunk("tEXt", []byte("k\x00v"))...)); err == nil {
		t.Error("PNG with a chunk after IEND accepted")
	}
}
