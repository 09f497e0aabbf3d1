package node_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
	"time"

	"starling/catchup"
	"starling/group"
	"starling/media"
	"starling/message"
	"starling/node"
	"starling/pictures"
	"starling/store"
)

// gpsSecret is written into the test photo's EXIF block; no node may
// show or serve it.
const gpsSecret = "GPS 48.8584N 2.2945E"

// photoWithEXIF draws a noisy w×h photo, encodes it as a JPEG and puts an
// EXIF block (with a GPS-like string) right after SOI, as cameras do.
func photoWithEXIF(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			seed = seed*1664525 + 1013904223
			img.Set(x, y, color.RGBA{byte(x), byte(y), byte(seed >> 24), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	exif := append([]byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00"), gpsSecret...)
	seg := binary.BigEndian.AppendUint16([]byte{0xff, 0xe1}, uint16(len(exif)+2))
	seg = append(seg, exif...)
	b := buf.Bytes()
	return append(append(append([]byte{}, b[:2]...), seg...), b[2:]...)
}

func waitImage(t *testing.T, tn *testNode, id message.ID) []byte {
	t.Helper()
	var data []byte
	waitUntil(t, tn.name+" to hold the picture", func() bool {
		var err error
		data, _, err = tn.Pictures().Image(id)
		return err == nil
	}, func() string {
		_, _, err := tn.Pictures().Image(id)
		return err.Error()
	})
	return data
}

// A picture sent in an open channel reaches the other node: the manifest
// by gossip, the chunks fetched by ID (never gossiped), and what the other
// node assembles is the sender's prepared picture byte for byte, with no
// EXIF or GPS left.
func TestImageTravels(t *testing.T) {
	t.Parallel()
	virtual(t, func(t *testing.T) {
		alice, bob := pairInLobby(t, startNode(t, "alice"), startNode(t, "bob"))
		file := photoWithEXIF(t, 1200, 900)
		if !bytes.Contains(file, []byte(gpsSecret)) {
			t.Fatal("the test photo has no GPS string")
		}
		man, im, peers, err := alice.Pictures().Send(context.Background(), "lobby", file, "the map", message.ID{})
		if err != nil {
			t.Fatal(err)
		}
		if peers == 0 {
			t.Fatal("the manifest reached no peer")
		}
		if len(im.Data) > media.DefaultMaxBytes || bytes.Contains(im.Data, []byte("Exif")) || bytes.Contains(im.Data, []byte(gpsSecret)) {
			t.Fatalf("prepared picture: %d bytes, EXIF left: %v", len(im.Data), bytes.Contains(im.Data, []byte("Exif")))
		}
		got := waitImage(t, bob, man.ID)
		if !bytes.Equal(got, im.Data) {
			t.Fatalf("bob assembled %d bytes, alice sent %d", len(got), len(im.Data))
		}
		st, err := bob.Pictures().Status(man.ID)
		if err != nil || st.Held != len(im.Chunks()) || st.Manifest.Caption != "the map" {
			t.Fatalf("bob's status %+v, %v", st, err)
		}
		for _, c := range st.Manifest.Chunks {
			s, err := bob.Store().Get(c)
			if err != nil || s.Origin != store.OriginCatchup {
				t.Fatalf("bob's chunk %s: origin %v, %v (want fetched)", c.Short(), s.Origin, err)
			}
		}
		if s := bob.GossipStats(); s.Rejected() != 0 {
			t.Errorf("bob rejected gossip: %v", s.Map())
		}
		// Fetched chunks are stored as learnt by catch-up, yet never passed
		// on by gossip (regossip.go): alice would reject them.
		time.Sleep(time.Minute) // virtual time: regossip's queue drains
		if sent, _ := bob.Regossiped(); sent != 0 {
			t.Errorf("bob gossiped %d fetched chunks", sent)
		}
		if s := alice.GossipStats(); s.Rejected() != 0 {
			t.Errorf("alice rejected gossip: %v", s.Map())
		}
		// The chats show 8 hex digits of the ID; they name the picture.
		if id, err := bob.Pictures().Resolve(man.ID.String()[:8]); err != nil || id != man.ID {
			t.Errorf("ResolveImage of the short ID: %s, %v", id.Short(), err)
		}
		for _, bad := range []string{man.ID.String()[:7], "not hex at all", st.Manifest.Chunks[0].String()[:12]} {
			if _, err := bob.Pictures().Resolve(bad); !errors.Is(err, media.ErrNotPicture) {
				t.Errorf("ResolveImage(%q): %v, want ErrNotImage", bad, err)
			}
		}
	})
}

// In a private group the chunks are sealed; a member fetches and opens
// them.
func TestImagePrivateGroup(t *testing.T) {
	t.Parallel()
	virtual(t, func(t *testing.T) {
		nodes, gid, _, _ := groupOf(t, group.KindPrivate, time.Time{}, []string{"alice", "bob"})
		alice, bob := nodes[0], nodes[1]
		man, im, _, err := alice.Pictures().Send(context.Background(), gid.String(), photoWithEXIF(t, 300, 200), "", message.ID{})
		if err != nil {
			t.Fatal(err)
		}
		st, err := alice.Pictures().Status(man.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range st.Manifest.Chunks {
			s, err := alice.Store().Get(c)
			if err != nil || s.Msg.Body.Epoch == 0 || bytes.Contains(s.Msg.Raw, im.Data[:64]) {
				t.Fatalf("alice's chunk %s is not sealed (%v)", c.Short(), err)
			}
		}
		if got := waitImage(t, bob, man.ID); !bytes.Equal(got, im.Data) {
			t.Fatal("bob's picture differs from alice's")
		}
	})
}

// A decompression bomb (a PNG whose header declares 100,000² pixels) is
// refused before it is decoded, and nothing is stored.
func TestImageBombRefused(t *testing.T) {
	t.Parallel()
	virtual(t, func(t *testing.T) {
		alice := startNode(t, "alice")
		alice.join(t, "lobby")
		bomb := pngHeader(100_000, 100_000)
		_, _, _, err := alice.Pictures().Send(context.Background(), "lobby", bomb, "", message.ID{})
		if !errors.Is(err, media.ErrTooLarge) {
			t.Fatalf("SendImage of a bomb: %v, want ErrTooLarge", err)
		}
		if n, err := alice.Count(groupID(t, "lobby")); err != nil || n != 0 {
			t.Fatalf("alice stores %d messages (%v) after a refused picture", n, err)
		}
	})
}

func pngHeader(w, h uint32) []byte {
	chunk := func(typ string, data []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		b = append(append(b, typ...), data...)
		return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 64))
	zw.Close()
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, chunk("IHDR", ihdr)...)
	b = append(b, chunk("IDAT", z.Bytes())...)
	return append(b, chunk("IEND", nil)...)
}

// chunkStore serves crafted envelopes from the attacker's fetch server.
type chunkStore map[message.ID]*message.Message

func (s chunkStore) Get(id message.ID) (store.Stored, error) {
	m, ok := s[id]
	if !ok {
		return store.Stored{}, store.ErrNotFound
	}
	return store.Stored{Msg: m}, nil
}

// forgedPicture signs, with a throwaway key, the chunks of a real picture
// and a manifest for them that edit changes.
func forgedPicture(t *testing.T, key ed25519.PrivateKey, g message.GroupID, im *media.Image, edit func(*media.Manifest)) ([]*message.Message, *message.Message) {
	t.Helper()
	now := message.TimeMS(time.Now())
	sign := func(kind message.Kind, payload []byte) *message.Message {
		m, err := message.Sign(key, message.Body{Version: message.Version, Group: g, Author: key.Public().(ed25519.PublicKey),
			SentAtMS: now, Kind: kind, Payload: payload})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	var chunks []*message.Message
	var ids []message.ID
	for _, c := range im.Chunks() {
		p, err := media.EncodeChunk(c)
		if err != nil {
			t.Fatal(err)
		}
		m := sign(message.KindImageChunk, p)
		chunks, ids = append(chunks, m), append(ids, m.ID)
	}
	man := media.NewManifest(im, ids, "", "mallory")
	edit(&man)
	p, err := media.EncodeManifest(man)
	if err != nil {
		t.Fatal(err)
	}
	return chunks, sign(message.KindImage, p)
}

// Attacks from a throwaway key in an open channel: chunks published on
// gossip are rejected and never stored (a chunk flood fills nothing); a
// manifest whose chunks do not give its digest is marked broken and its
// chunks dropped; a fetch answered with another envelope than the one
// asked for stores nothing and costs the peer its score.
func TestImageAttacks(t *testing.T) {
	t.Parallel()
	virtual(t, func(t *testing.T) {
		alice := startNode(t, "alice", func(c *node.Config) { c.Images.Fetch = pictures.FetchAlways })
		alice.join(t, "lobby")
		lobby := groupID(t, "lobby")
		evil := newRawPeer(t, group.Topic(lobby))
		evil.connect(t, alice, lobby)
		_, key, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		im, err := media.Prepare(photoWithEXIF(t, 1000, 800), media.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if len(im.Chunks()) < 2 {
			t.Fatalf("the test picture has %d chunks, want 2", len(im.Chunks()))
		}

		// 1. A chunk flood on gossip.
		flood, _ := forgedPicture(t, key, lobby, im, func(*media.Manifest) {})
		for i := 0; i < 10; i++ {
			_, k, _ := ed25519.GenerateKey(nil)
			more, _ := forgedPicture(t, k, lobby, im, func(*media.Manifest) {})
			flood = append(flood, more...)
		}
		for _, c := range flood {
			if err := evil.topic.Publish(context.Background(), c.Raw); err != nil {
				t.Fatal(err)
			}
		}
		waitUntil(t, "alice to reject the flood", func() bool { return alice.GossipStats().Rejected() >= 1 },
			func() string { return fmt.Sprint(alice.GossipStats().Map()) })
		for _, c := range flood {
			if ok, _ := alice.Store().Has(c.ID); ok {
				t.Fatalf("alice stored a flooded chunk")
			}
		}

		// 2. A manifest whose chunks do not hash to its digest, served by the
		// attacker's fetch server.
		bad, badMan := forgedPicture(t, key, lobby, im, func(m *media.Manifest) { m.Digest[0] ^= 1 })
		// 3. A manifest whose chunks the attacker answers with other envelopes.
		_, k3, _ := ed25519.GenerateKey(nil)
		swapped, swapMan := forgedPicture(t, k3, lobby, im, func(*media.Manifest) {})
		serve := chunkStore{}
		for _, c := range bad {
			serve[c.ID] = c
		}
		for i, c := range swapped {
			serve[c.ID] = bad[(i+1)%len(bad)]
		}
		// Another peer (the first is scored down for the flood).
		evil = newRawPeer(t, group.Topic(lobby))
		evil.connect(t, alice, lobby)
		f, err := catchup.NewFetcher(evil.h, catchup.FetchConfig{Store: serve})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		for _, m := range []*message.Message{badMan, swapMan} {
			if err := evil.topic.Publish(context.Background(), m.Raw); err != nil {
				t.Fatal(err)
			}
		}
		waitUntil(t, "alice to find the first picture broken", func() bool {
			st, err := alice.Pictures().Status(badMan.ID)
			return err == nil && st.Broken
		}, func() string {
			st, err := alice.Pictures().Status(badMan.ID)
			return fmt.Sprintf("status %+v, %v; gossip %v", st, err, alice.GossipStats().Map())
		})
		if _, _, err := alice.Pictures().Image(badMan.ID); !errors.Is(err, media.ErrBroken) {
			t.Fatalf("Image of a broken picture: %v", err)
		}
		for _, c := range bad {
			if s, err := alice.Store().Get(c.ID); err == nil {
				t.Fatalf("alice keeps a broken picture's chunk (origin %s)", s.Origin)
			}
		}
		waitUntil(t, "alice to score the swapping peer down", func() bool { return alice.PeerScores()[evil.ID()] < 0 })
		st, err := alice.Pictures().Status(swapMan.ID)
		if err != nil || st.Held != 0 {
			t.Fatalf("alice holds %d chunks of the swapped picture (%v)", st.Held, err)
		}
	})
}

// A picture's chunks count against its author's storage budget like any
// message: past it, a node holds the manifest (and its preview) but not
// the chunks, so a throwaway key cannot fill a disk with pictures.
func TestImageBudget(t *testing.T) {
	t.Parallel()
	virtual(t, func(t *testing.T) {
		file := photoWithEXIF(t, 1000, 800)
		prepared, err := media.Prepare(file, media.Config{})
		if err != nil {
			t.Fatal(err)
		}
		// Room for one picture and a half.
		budget := int64(len(prepared.Data)) * 3 / 2
		alice, bob := pairInLobby(t, startNode(t, "alice"), startNode(t, "bob", func(c *node.Config) { c.Limits.AuthorBytes = budget }))
		first, im, _, err := alice.Pictures().Send(context.Background(), "lobby", file, "", message.ID{})
		if err != nil {
			t.Fatal(err)
		}
		if len(im.Chunks()) < 2 {
			t.Fatalf("%d chunks, want 2", len(im.Chunks()))
		}
		waitImage(t, bob, first.ID)
		second, _, _, err := alice.Pictures().Send(context.Background(), "lobby", file, "", message.ID{})
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "bob to hold the second manifest", func() bool { ok, _ := bob.Store().Has(second.ID); return ok })
		if s, err := bob.Pictures().Fetch(context.Background(), second.ID); !errors.Is(err, media.ErrNotHeld) {
			t.Fatalf("fetching past the budget: %v, want ErrImageNotHeld (%d of %d held, budget %d, picture %d)", err, s.Held, len(s.Manifest.Chunks), budget, len(prepared.Data))
		}
		st, err := bob.Pictures().Status(second.ID)
		if err != nil || st.Held == len(st.Manifest.Chunks) {
			t.Fatalf("bob holds %d of %d chunks past the author's budget (%v)", st.Held, len(st.Manifest.Chunks), err)
		}
		if _, _, err := alice.Pictures().Image(second.ID); err != nil {
			t.Fatalf("alice's own picture: %v", err)
		}
	})
}

// Deleting a picture deletes its chunks on every node that holds them.
func TestImageDeleted(t *testing.T) {
	t.Parallel()
	virtual(t, func(t *testing.T) {
		alice, bob := pairInLobby(t, startNode(t, "alice"), startNode(t, "bob"))
		man, im, _, err := alice.Pictures().Send(context.Background(), "lobby", photoWithEXIF(t, 400, 300), "", message.ID{})
		if err != nil {
			t.Fatal(err)
		}
		waitImage(t, bob, man.ID)
		st, err := bob.Pictures().Status(man.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := alice.Moderation().DeleteMessage(context.Background(), "lobby", man.ID, "wrong picture"); err != nil {
			t.Fatal(err)
		}
		for _, tn := range []*testNode{alice, bob} {
			waitUntil(t, tn.name+" to delete the picture's chunks", func() bool {
				for _, c := range st.Manifest.Chunks {
					if _, err := tn.Store().Get(c); err == nil {
						return false
					}
				}
				return true
			})
		}
		_ = im
	})
}

// pairInLobby connects two nodes and joins both to lobby.
func pairInLobby(t *testing.T, a, b *testNode) (*testNode, *testNode) {
	t.Helper()
	connect(t, a, b)
	a.join(t, "lobby")
	b.join(t, "lobby")
	waitTopicPeers(t, "lobby", a, b)
	return a, b
}

// A node that was away gets the picture's manifest by catch-up like any
// message, but never its chunks (catch-up leaves them out, and a chunk it
// carried would be rejected); with fetching on demand it holds the chunks
// only once it asks, from a peer that is not their author.
func TestImageCatchupBringsManifestOnly(t *testing.T) {
	t.Parallel()
	virtual(t, func(t *testing.T) {
		alice, bob := pairInLobby(t, startNode(t, "alice"), startNode(t, "bob"))
		man, im, _, err := alice.Pictures().Send(context.Background(), "lobby", photoWithEXIF(t, 600, 400), "", message.ID{})
		if err != nil {
			t.Fatal(err)
		}
		waitImage(t, bob, man.ID)
		// Carol meets only bob, after the picture went out: catch-up brings
		// her what bob holds, and bob serves the chunks he fetched.
		carol := startNode(t, "carol", func(c *node.Config) { c.Images.Fetch = pictures.FetchOnDemand })
		carol.join(t, "lobby")
		connect(t, bob, carol)
		waitUntil(t, "carol to catch up the manifest", func() bool { ok, _ := carol.Store().Has(man.ID); return ok })
		if _, err := carol.Sync(context.Background(), "lobby"); err != nil {
			t.Fatal(err)
		}
		st, err := carol.Pictures().Status(man.ID)
		if err != nil || st.Held != 0 {
			t.Fatalf("carol holds %d chunks after catch-up (%v), want none", st.Held, err)
		}
		if s, _ := carol.Store().Get(man.ID); s.Origin != store.OriginCatchup {
			t.Errorf("carol's manifest came by %s, want catch-up", s.Origin)
		}
		if _, err := carol.Pictures().Fetch(context.Background(), man.ID); err != nil {
			t.Fatal(err)
		}
		if got, _, err := carol.Pictures().Image(man.ID); err != nil || !bytes.Equal(got, im.Data) {
			t.Fatalf("carol's picture: %v", err)
		}
		if score := carol.PeerScores()[bob.ID()]; score < 0 {
			t.Errorf("carol scores bob %g: catch-up or the fetch blamed him", score)
		}
	})
}

// A node that fetches at once keeps trying while its peers lack the
// chunks: carol meets only bob, who fetches on demand; once bob has
// fetched the picture, carol's next try gets it from him.
func TestImageAutoFetchRetries(t *testing.T) {
	t.Parallel()
	virtual(t, func(t *testing.T) {
		alice, bob := pairInLobby(t, startNode(t, "alice"), startNode(t, "bob", func(c *node.Config) { c.Images.Fetch = pictures.FetchOnDemand }))
		_, carol := pairInLobby(t, bob, startNode(t, "carol"))
		waitMesh(t, "lobby", alice, bob)
		waitMesh(t, "lobby", bob, carol)
		man, im, _, err := alice.Pictures().Send(context.Background(), "lobby", photoWithEXIF(t, 500, 400), "", message.ID{})
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "carol to hold the manifest", func() bool { ok, _ := carol.Store().Has(man.ID); return ok })
		if st, err := carol.Pictures().Status(man.ID); err != nil || st.Held != 0 {
			t.Fatalf("carol holds %d chunks before bob has any (%v)", st.Held, err)
		}
		if _, err := bob.Pictures().Fetch(context.Background(), man.ID); err != nil {
			t.Fatal(err)
		}
		if got := waitImage(t, carol, man.ID); !bytes.Equal(got, im.Data) {
			t.Fatal("carol's picture differs")
		}
	})
}
