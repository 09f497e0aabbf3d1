package media

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"image/jpeg"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"starling/message"
)

func chunkIDs(n int) []message.ID {
	ids := make([]message.ID, n)
	for i := range ids {
		ids[i] = message.ID(sha256.Sum256(fmt.Appendf(nil, "chunk %d", i)))
	}
	return ids
}

var testPicture = sync.OnceValues(func() (*Image, error) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, photoImage(1000, 750, 6), &jpeg.Options{Quality: 95}); err != nil {
		return nil, err
	}
	return Prepare(b.Bytes(), Config{})
})

// preparedManifest prepares a real picture (once for all tests) and its
// manifest.
func preparedManifest(t testing.TB, caption string) (*Image, Manifest) {
	t.Helper()
	im, err := testPicture()
	if err != nil {
		t.Fatal(err)
	}
	return im, NewManifest(im, chunkIDs(ChunkCount(len(im.Data))), caption, "ada")
}

// swapFirstFields writes the first two fields of a protobuf encoding in
// the other order.
func swapFirstFields(t testing.TB, b []byte) []byte {
	t.Helper()
	var fields [][]byte
	for rest := b; len(rest) > 0 && len(fields) < 2; {
		_, typ, n := protowire.ConsumeTag(rest)
		m := protowire.ConsumeFieldValue(0, typ, rest[n:])
		if n < 0 || m < 0 {
			t.Fatal("bad encoding")
		}
		fields = append(fields, rest[:n+m])
		rest = rest[n+m:]
	}
	return cat(fields[1], fields[0], b[len(fields[0])+len(fields[1]):])
}

func TestManifestRoundTrip(t *testing.T) {
	im, m := preparedManifest(t, "the map, stage B is top left \u2764\ufe0f")
	payload, err := EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeManifest(payload)
	if err != nil {
		t.Fatal(err)
	}
	again, err := EncodeManifest(got)
	if err != nil || !bytes.Equal(again, payload) {
		t.Fatalf("decode and encode again: %v, equal %v", err, bytes.Equal(again, payload))
	}
	if got.Digest != im.Digest || got.Size != len(im.Data) || got.Width != im.Width || got.Caption != m.Caption || len(got.Chunks) != len(m.Chunks) {
		t.Errorf("round trip lost fields: %+v", got)
	}
	if got.Index(m.Chunks[len(m.Chunks)-1]) != len(m.Chunks)-1 || got.Index(message.ID{1}) != -1 {
		t.Error("Index")
	}
	data, err := Assemble(&got, Split(im.Data))
	if err != nil || !bytes.Equal(data, im.Data) {
		t.Fatalf("Assemble: %v", err)
	}
}

// TestManifestRules: each field rule refuses what breaks it.
func TestManifestRules(t *testing.T) {
	_, good := preparedManifest(t, "")
	cases := map[string]func(m *Manifest){
		"format":          func(m *Manifest) { m.Format = FormatWebP },
		"no width":        func(m *Manifest) { m.Width = 0 },
		"too high":        func(m *Manifest) { m.Height = MaxSide + 1 },
		"empty":           func(m *Manifest) { m.Size, m.Chunks = 0, nil },
		"too large":       func(m *Manifest) { m.Size = MaxImageSize + 1; m.Chunks = chunkIDs(ChunkCount(m.Size)) },
		"a chunk short":   func(m *Manifest) { m.Chunks = m.Chunks[:len(m.Chunks)-1] },
		"a chunk more":    func(m *Manifest) { m.Chunks = append(m.Chunks, message.ID{9}) },
		"zero chunk ID":   func(m *Manifest) { m.Chunks[0] = message.ID{} },
		"chunk twice":     func(m *Manifest) { m.Chunks[1] = m.Chunks[0] },
		"long caption":    func(m *Manifest) { m.Caption = strings.Repeat("x", MaxCaptionSize+1) },
		"caption UTF-8":   func(m *Manifest) { m.Caption = "\xff" },
		"long nick":       func(m *Manifest) { m.Nick = strings.Repeat("x", message.MaxNickSize+1) },
		"preview as PNG":  func(m *Manifest) { m.Preview = encodePNGFile(t, photoImage(8, 8, 1)) },
		"preview large":   func(m *Manifest) { m.Preview = encodeJPEGFile(t, photoImage(200, 100, 1), 50) },
		"preview garbage": func(m *Manifest) { m.Preview = []byte("not a jpeg") },
		"preview + EXIF":  func(m *Manifest) { m.Preview = withJPEGSegments(m.Preview, jpegMetadata(1)[0]) },
	}
	for name, breakIt := range cases {
		m := good
		m.Chunks = append([]message.ID(nil), good.Chunks...)
		breakIt(&m)
		if _, err := EncodeManifest(m); !errors.Is(err, ErrBadPayload) {
			t.Errorf("%s: EncodeManifest: %v, want ErrBadPayload", name, err)
		}
	}
	m := good
	m.Preview = nil
	if _, err := EncodeManifest(m); err != nil {
		t.Errorf("no preview: %v", err)
	}
}

// TestManifestCanonical: one manifest has one encoding; the decoder
// refuses an unknown field, a field out of order, a default written out
// and a digest of the wrong size.
func TestManifestCanonical(t *testing.T) {
	_, m := preparedManifest(t, "hi")
	payload, err := EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	unknown := protowire.AppendVarint(protowire.AppendTag(bytes.Clone(payload), 20, protowire.VarintType), 1)
	reordered := swapFirstFields(t, payload)
	defaulted := protowire.AppendString(protowire.AppendTag(bytes.Clone(payload), 9, protowire.BytesType), "")
	for name, p := range map[string][]byte{"unknown field": unknown, "reordered": reordered, "default written": defaulted, "empty": nil} {
		if _, err := DecodeManifest(p); !errors.Is(err, ErrBadPayload) {
			t.Errorf("%s: %v, want ErrBadPayload", name, err)
		}
	}
}

// TestAssembleMismatch: chunks that do not give the manifest's image are
// refused whichever way they differ.
func TestAssembleMismatch(t *testing.T) {
	im, m := preparedManifest(t, "")
	chunks := Split(im.Data)
	if len(chunks) < 2 {
		t.Fatalf("want an image of two chunks, got %d", len(chunks))
	}
	swapped := [][]byte{chunks[1], chunks[0]}
	flipped := [][]byte{chunks[0], flipByte(chunks[1], 10)}
	short := [][]byte{chunks[0], chunks[1][:len(chunks[1])-1]}
	for name, cs := range map[string][][]byte{"swapped": swapped, "a byte flipped": flipped, "one short": short, "one missing": chunks[:1]} {
		if _, err := Assemble(&m, cs); !errors.Is(err, ErrMismatch) {
			t.Errorf("%s: %v, want ErrMismatch", name, err)
		}
	}
	// An author who lies about the dimensions: digest and size right.
	lie := m
	lie.Width++
	if _, err := Assemble(&lie, chunks); !errors.Is(err, ErrMismatch) {
		t.Errorf("wrong width: %v, want ErrMismatch", err)
	}
	// An author who signs an image with metadata: refused by Check.
	withExif := withJPEGSegments(im.Data, jpegMetadata(1)[0])
	bad := m
	bad.Size, bad.Digest = len(withExif), DigestOf(withExif)
	bad.Chunks = chunkIDs(ChunkCount(bad.Size))
	if _, err := Assemble(&bad, Split(withExif)); !errors.Is(err, ErrNotCanonical) {
		t.Errorf("image with EXIF: %v, want ErrNotCanonical", err)
	}
	if err := m.CheckChunk(0, chunks[0][:100]); !errors.Is(err, ErrMismatch) {
		t.Errorf("CheckChunk of a short chunk: %v", err)
	}
	if err := m.CheckChunk(len(chunks), chunks[0]); !errors.Is(err, ErrMismatch) {
		t.Errorf("CheckChunk past the last chunk: %v", err)
	}
}

func TestChunking(t *testing.T) {
	for _, size := range []int{1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 2*ChunkSize + 7, MaxImageSize} {
		data := bytes.Repeat([]byte{7}, size)
		chunks := Split(data)
		if len(chunks) != ChunkCount(size) {
			t.Errorf("%d bytes: %d chunks, ChunkCount %d", size, len(chunks), ChunkCount(size))
		}
		total := 0
		for i, c := range chunks {
			if len(c) != ChunkLen(size, i) {
				t.Errorf("%d bytes: chunk %d has %d, ChunkLen %d", size, i, len(c), ChunkLen(size, i))
			}
			p, err := EncodeChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeChunk(p)
			if err != nil || !bytes.Equal(back, c) {
				t.Fatalf("chunk round trip: %v", err)
			}
			total += len(c)
		}
		if total != size {
			t.Errorf("%d bytes split into %d", size, total)
		}
	}
	if MaxChunks != ChunkCount(MaxImageSize) {
		t.Errorf("MaxChunks %d, ChunkCount(MaxImageSize) %d", MaxChunks, ChunkCount(MaxImageSize))
	}
	for name, p := range map[string][]byte{
		"empty":      nil,
		"too large":  protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), make([]byte, ChunkSize+1)),
		"unknown":    protowire.AppendVarint(protowire.AppendTag(nil, 2, protowire.VarintType), 1),
		"not protob": {0xff},
	} {
		if _, err := DecodeChunk(p); !errors.Is(err, ErrBadPayload) {
			t.Errorf("%s: %v, want ErrBadPayload", name, err)
		}
	}
	if _, err := EncodeChunk(make([]byte, ChunkSize+1)); !errors.Is(err, ErrBadPayload) {
		t.Errorf("EncodeChunk of ChunkSize+1 bytes: %v", err)
	}
}

// TestChunkFitsEnvelope lives in package group (image_test.go), which
// seals and signs with the real kinds.
