package group_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"

	"starling/group"
	"starling/media"
	"starling/message"
)

// testPicture prepares a small PNG drawn here: a picture of two chunks
// when big is set, one otherwise.
func testPicture(t *testing.T, big bool) *media.Image {
	t.Helper()
	side := 64
	if big {
		side = 400
	}
	img := image.NewRGBA(image.Rect(0, 0, side, side))
	seed := uint32(7)
	for i := range img.Pix {
		if big {
			seed = seed*1664525 + 1013904223
			img.Pix[i] = byte(seed >> 24)
		} else {
			img.Pix[i] = byte(i)
		}
	}
	for x := 0; x < side; x++ {
		img.Set(x, x, color.RGBA{255, 0, 0, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	im, err := media.Prepare(buf.Bytes(), media.Config{MaxBytes: media.MaxImageSize})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func TestComposeImageRoundTrip(t *testing.T) {
	for _, private := range []bool{false, true} {
		name := map[bool]string{false: "open", true: "private"}[private]
		t.Run(name, func(t *testing.T) {
			kind := group.KindOpen
			if private {
				kind = group.KindPrivate
			}
			p, history := create(t, "owner", kind, time.Time{})
			bob := join(t, p, "bob", at(1), history...)
			st := bob.s
			im := testPicture(t, true)
			now := at(2)
			chunks, man, err := p.s.ComposeImage(p.u, im, "the map", message.ID{}, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(chunks) != len(im.Chunks()) || len(chunks) < 2 {
				t.Fatalf("%d chunk messages for %d chunks", len(chunks), len(im.Chunks()))
			}
			var data [][]byte
			for _, c := range chunks {
				if len(c.Raw) > message.MaxEnvelopeSize {
					t.Fatalf("chunk envelope of %d bytes", len(c.Raw))
				}
				if c.Body.SentAtMS != man.Body.SentAtMS || c.Body.Epoch != man.Body.Epoch || !bytes.Equal(c.Body.Author, man.Body.Author) {
					t.Fatal("a chunk's author, sent_at or epoch differs from its manifest's")
				}
				if private && c.Body.Epoch == 0 {
					t.Fatal("a private group's chunk is not sealed")
				}
				got, v, err := st.Check(c, now)
				if v != message.Accept {
					t.Fatalf("chunk: %s: %v", v, err)
				}
				data = append(data, got.(group.ImageChunk).Data)
			}
			got, v, err := st.Check(man, now)
			if v != message.Accept {
				t.Fatalf("manifest: %s: %v", v, err)
			}
			m := got.(group.Image)
			if m.Caption != "the map" || m.Digest != im.Digest {
				t.Fatalf("manifest %+v", m.Manifest)
			}
			for i, c := range chunks {
				if m.Chunks[i] != c.ID {
					t.Fatalf("manifest lists chunk %d as %s, not %s", i, m.Chunks[i].Short(), c.ID.Short())
				}
			}
			out, err := media.Assemble(&m.Manifest, data)
			if err != nil || !bytes.Equal(out, im.Data) {
				t.Fatalf("assemble: %v", err)
			}
		})
	}
}

func TestImageChunkWithRefRejected(t *testing.T) {
	p, _ := create(t, "owner", group.KindOpen, time.Time{})
	owner, st := p.u, p.s
	im := testPicture(t, false)
	chunks, _, err := st.ComposeImage(owner, im, "", message.ID{}, at(1))
	if err != nil {
		t.Fatal(err)
	}
	b := chunks[0].Body
	b.Ref = message.ID{1}
	m, err := message.Sign(owner.PrivateKey(), b)
	if err != nil {
		t.Fatal(err)
	}
	if _, v, err := st.Check(m, at(1)); v != message.Reject || !errors.Is(err, group.ErrBadPayload) {
		t.Fatalf("a chunk with a ref: %s, %v", v, err)
	}
}

// TestChunkFitsEnvelope: a full chunk, and a manifest with the longest
// caption, sealed for a private group and signed with every body field at
// its largest, stay under message.MaxEnvelopeSize with room to spare, so
// no picture message grows past today's limits (gossip's and catch-up's).
func TestChunkFitsEnvelope(t *testing.T) {
	const spare = 3 << 10
	payload, err := media.EncodeChunk(bytes.Repeat([]byte{0xa5}, media.ChunkSize))
	if err != nil {
		t.Fatal(err)
	}
	im := testPicture(t, true)
	ids := make([]message.ID, len(im.Chunks()))
	for i := range ids {
		ids[i] = message.ID{byte(i + 1)}
	}
	manifest, err := media.EncodeManifest(media.NewManifest(im, ids, strings.Repeat("\u00e9", media.MaxCaptionSize/2), strings.Repeat("n", message.MaxNickSize)))
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	for _, c := range []struct {
		name  string
		kind  message.Kind
		plain []byte
	}{{"chunk", message.KindImageChunk, payload}, {"manifest with the longest caption", message.KindImage, manifest}} {
		body := message.Body{
			Version: message.Version, Group: message.GroupID{1}, Author: key.Public().(ed25519.PublicKey),
			SentAtMS: math.MaxUint64, Kind: c.kind, Ref: message.ID{2},
			Epoch: math.MaxUint64, ExpiresMS: math.MaxUint64,
		}
		body.Payload, err = group.Seal(bytes.Repeat([]byte{3}, group.KeySize), &body, c.plain)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := message.Sign(key, body)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		t.Logf("%s: %d bytes sealed and signed, %d under the limit", c.name, len(msg.Raw), message.MaxEnvelopeSize-len(msg.Raw))
		if len(msg.Raw) > message.MaxEnvelopeSize-spare {
			t.Errorf("%s: envelope of %d bytes, want at most %d", c.name, len(msg.Raw), message.MaxEnvelopeSize-spare)
		}
	}
}
