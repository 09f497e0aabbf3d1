package engine

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"starling/catchup"
	"starling/group"
	"starling/media"
	"starling/message"
)

// TestFetchConstants: the engine speaks the daemon's fetch protocol with
// its limit (the engine cannot import package catchup, which links
// libp2p).
func TestFetchConstants(t *testing.T) {
	if FetchProtocol != catchup.FetchProtocolID || maxFetchIDs != catchup.MaxFetchIDs {
		t.Fatalf("engine %s/%d, catchup %s/%d", FetchProtocol, maxFetchIDs, catchup.FetchProtocolID, catchup.MaxFetchIDs)
	}
}

// testImage is a picture of media's canonical form, noisy enough to need
// several chunks when big.
func testImage(t *testing.T, w, h int) *media.Image {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x := uint32(12345)
	for i := range img.Pix {
		x = x*1664525 + 1013904223
		img.Pix[i] = byte(x >> 24)
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	im, err := media.Prepare(buf.Bytes(), media.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// picturePhone is a phone that joined the owner's group and took a
// picture's manifest by gossip.
func picturePhone(t *testing.T, owner *daemon, manifest *message.Message) *Engine {
	t.Helper()
	e := New(nil)
	mustIdentity(t, e, "pat")
	j := mustJoin(t, e, owner.link(t))
	runSync(t, e, j.Group.ID, newServer(t, owner.st.ID(), owner.msgs[:2]), 64)
	if r := e.Receive(manifest.Raw, owner.st.Topic()); r.Verdict != "accept" {
		t.Fatalf("the manifest: %+v", r)
	}
	return e
}

// serveFetch answers a fetch request as catchup.Fetcher does, from held.
func serveFetch(t *testing.T, req []byte, held map[message.ID][]byte) []byte {
	t.Helper()
	if len(req) < 33 || len(req) != 33+32*int(req[32]) || req[32] < 1 || int(req[32]) > catchup.MaxFetchIDs {
		t.Fatalf("a fetch request of %d bytes", len(req))
	}
	var out []byte
	for i := range int(req[32]) {
		id := message.ID(req[33+32*i : 65+32*i])
		raw := held[id]
		out = binary.AppendUvarint(out, uint64(len(raw)))
		out = append(out, raw...)
	}
	return out
}

// fetchAll runs fetch requests until the picture is complete or a request
// fails, feeding answers in pieces of step bytes.
func fetchAll(t *testing.T, e *Engine, manifest string, held map[message.ID][]byte, step int) (FetchFed, []MessageRecord) {
	t.Helper()
	var recs []MessageRecord
	for range 16 {
		s, err := e.FetchStart(manifest)
		if err != nil {
			t.Fatalf("fetch start: %v", err)
		}
		if s.Session == 0 {
			return FetchFed{Done: true, PictureStatus: s.PictureStatus}, recs
		}
		if s.Asked > catchup.MaxFetchIDs {
			t.Fatalf("asked %d IDs", s.Asked)
		}
		ans := serveFetch(t, s.Out, held)
		var f FetchFed
		for i := 0; i < len(ans); i += step {
			f = e.FetchFeed(s.Session, ans[i:min(i+step, len(ans))])
			recs = append(recs, f.Records...)
			if f.Error != "" {
				return f, recs
			}
		}
		if !f.Done {
			t.Fatalf("the whole answer fed and the request not done: %+v", f)
		}
		if f.Got == 0 {
			return f, recs
		}
	}
	t.Fatal("no end to fetching")
	return FetchFed{}, nil
}

// TestFetchPicture: a phone fetches a picture's chunks by ID, in any
// chunking of the stream, stores their records and assembles the picture
// its manifest names; after a reload the stored records give it back.
func TestFetchPicture(t *testing.T) {
	owner := newOwner(t, "olga", group.KindOpen)
	im := testImage(t, 400, 300)
	chunks, manifest, err := owner.st.ComposeImage(owner.u, im, "the square", [32]byte{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 2 {
		t.Fatalf("a picture of %d bytes in %d chunks: want several", len(im.Data), len(chunks))
	}
	owner.keep(append(chunks, manifest)...)
	e := picturePhone(t, owner, manifest)
	if _, err := e.PictureOf(manifest.ID.String()); CodeOf(err) != CodeNotHeld {
		t.Fatalf("a picture not fetched: %v", err)
	}
	held := map[message.ID][]byte{}
	for _, c := range chunks[1:] {
		held[c.ID] = c.Raw
	}
	// A peer lacking a chunk: what it has is taken, the rest is missing.
	f, recs := fetchAll(t, e, manifest.ID.String(), held, 1000)
	if f.Error != "" || f.Complete || f.Held != len(chunks)-1 || len(recs) != len(chunks)-1 {
		t.Fatalf("from a peer lacking one chunk: %+v, %d records", f, len(recs))
	}
	held[chunks[0].ID] = chunks[0].Raw
	f, more := fetchAll(t, e, manifest.ID.String(), held, 7)
	recs = append(recs, more...)
	if f.Error != "" || !f.Complete || len(recs) != len(chunks) {
		t.Fatalf("from a peer holding all: %+v, %d records", f, len(recs))
	}
	p, err := e.PictureOf(manifest.ID.String())
	if err != nil || !bytes.Equal(p.Data, im.Data) || p.Width != im.Width || p.Height != im.Height || p.Mime == "" {
		t.Fatalf("the picture: %v (%d bytes, %dx%d %s)", err, len(p.Data), p.Width, p.Height, p.Mime)
	}
	if e.Has(chunks[0].ID) {
		t.Fatal("a chunk entered the messages catch-up offers")
	}

	// Reload: the records give the picture back; a chunk record in the
	// messages is skipped.
	e2 := picturePhone(t, owner, manifest)
	raws := make([][]byte, len(recs))
	for i, r := range recs {
		raws[i] = r.Raw
	}
	tf, err := e2.TakeChunks(manifest.ID.String(), raws)
	if err != nil || !tf.Complete {
		t.Fatalf("take stored chunks: %v %+v", err, tf)
	}
	if p2, err := e2.PictureOf(manifest.ID.String()); err != nil || !bytes.Equal(p2.Data, im.Data) {
		t.Fatalf("the picture after a reload: %v", err)
	}
	if _, err := e.FetchStart(chunks[0].ID.String()); CodeOf(err) != CodeNotPicture {
		t.Fatalf("fetch of a chunk's ID: %v", err)
	}
}

// forgedPicture is a picture whose manifest, signed by the group's owner,
// lists a chunk that is not its own: forge changes the chunk's body before
// the owner signs it again.
func forgedPicture(t *testing.T, owner *daemon, forge func(b *message.Body)) (manifest *message.Message, chunks []*message.Message) {
	t.Helper()
	im := testImage(t, 400, 300)
	chunks, manifest, err := owner.st.ComposeImage(owner.u, im, "", [32]byte{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b := chunks[0].Body
	forge(&b)
	c0, err := message.Sign(owner.u.PrivateKey(), b)
	if err != nil {
		t.Fatal(err)
	}
	chunks[0] = c0
	man, err := media.DecodeManifest(manifest.Body.Payload)
	if err != nil {
		t.Fatal(err)
	}
	man.Chunks[0] = c0.ID
	mb := manifest.Body
	if mb.Payload, err = media.EncodeManifest(man); err != nil {
		t.Fatal(err)
	}
	if manifest, err = message.Sign(owner.u.PrivateKey(), mb); err != nil {
		t.Fatal(err)
	}
	owner.keep(manifest)
	return manifest, chunks
}

// TestFetchForgedChunk: a chunk its manifest lists but that is not the
// manifest's (another time; data that does not give the picture's digest)
// marks the picture broken and drops its chunks; a peer answering with
// another message than the one asked for breaks the protocol and the
// picture is not blamed.
func TestFetchForgedChunk(t *testing.T) {
	owner := newOwner(t, "olga", group.KindOpen)
	heldOf := func(chunks []*message.Message) map[message.ID][]byte {
		h := map[message.ID][]byte{}
		for _, c := range chunks {
			h[c.ID] = c.Raw
		}
		return h
	}

	t.Run("another time", func(t *testing.T) {
		manifest, chunks := forgedPicture(t, owner, func(b *message.Body) { b.SentAtMS++ })
		e := picturePhone(t, owner, manifest)
		f, _ := fetchAll(t, e, manifest.ID.String(), heldOf(chunks), 4096)
		if f.Code != CodeBroken || !f.Broken || len(f.Deleted) != len(chunks) {
			t.Fatalf("a chunk of another time: %+v", f)
		}
		if _, err := e.PictureOf(manifest.ID.String()); CodeOf(err) != CodeBroken {
			t.Fatalf("a broken picture shown: %v", err)
		}
		if s, err := e.FetchStart(manifest.ID.String()); err != nil || s.Session != 0 || !s.Broken {
			t.Fatalf("a broken picture fetched again: %v %+v", err, s)
		}
	})

	t.Run("other data", func(t *testing.T) {
		manifest, chunks := forgedPicture(t, owner, func(b *message.Body) {
			data, err := media.DecodeChunk(b.Payload)
			if err != nil {
				t.Fatal(err)
			}
			data = bytes.Clone(data)
			data[len(data)/2] ^= 0xff
			if b.Payload, err = media.EncodeChunk(data); err != nil {
				t.Fatal(err)
			}
		})
		e := picturePhone(t, owner, manifest)
		f, _ := fetchAll(t, e, manifest.ID.String(), heldOf(chunks), 4096)
		if f.Error != "" || !f.Complete {
			t.Fatalf("chunks of the right shape: %+v", f)
		}
		if _, err := e.PictureOf(manifest.ID.String()); CodeOf(err) != CodeBroken {
			t.Fatalf("a picture whose digest differs: %v", err)
		}
		if s, _ := e.FetchStart(manifest.ID.String()); !s.Broken {
			t.Fatalf("not marked broken: %+v", s)
		}
	})

	t.Run("another message", func(t *testing.T) {
		im := testImage(t, 400, 300)
		chunks, manifest, err := owner.st.ComposeImage(owner.u, im, "", [32]byte{}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		owner.keep(manifest)
		e := picturePhone(t, owner, manifest)
		held := heldOf(chunks)
		held[chunks[0].ID] = chunks[1].Raw
		f, _ := fetchAll(t, e, manifest.ID.String(), held, 4096)
		if f.Code != CodeProtocol || f.Broken {
			t.Fatalf("a peer answering with another chunk: %+v", f)
		}
		held[chunks[0].ID] = chunks[0].Raw
		if f, _ := fetchAll(t, e, manifest.ID.String(), held, 4096); !f.Complete {
			t.Fatalf("from an honest peer then: %+v", f)
		}
		if _, err := e.PictureOf(manifest.ID.String()); err != nil {
			t.Fatal(err)
		}
		// Stored records that are not the picture's: not taken.
		if f, err := e.TakeChunks(manifest.ID.String(), [][]byte{manifest.Raw, {1, 2, 3}}); err != nil || f.Got != 0 {
			t.Fatalf("junk records: %v %+v", err, f)
		}
	})
}
