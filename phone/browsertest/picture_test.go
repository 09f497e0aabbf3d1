package browsertest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"image"
	"image/png"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/libp2p/go-libp2p/core/network"

	"starling/catchup"
	"starling/media"
	"starling/message"
)

// chunkServer answers /starling/fetch/1.0.0 on a hostile peer from what it
// holds, as catchup.Fetcher does: empty answers for what it lacks.
type chunkServer struct {
	mu   sync.Mutex
	held map[message.ID][]byte
}

func (c *chunkServer) hold(ms ...*message.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range ms {
		c.held[m.ID] = m.Raw
	}
}

func (c *chunkServer) handle(st network.Stream) {
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(st)
	head := make([]byte, 33)
	if _, err := io.ReadFull(r, head); err != nil || head[32] < 1 || int(head[32]) > catchup.MaxFetchIDs {
		_ = st.Reset()
		return
	}
	var out []byte
	for range int(head[32]) {
		var id message.ID
		if _, err := io.ReadFull(r, id[:]); err != nil {
			_ = st.Reset()
			return
		}
		c.mu.Lock()
		raw := c.held[id]
		c.mu.Unlock()
		out = binary.AppendUvarint(out, uint64(len(raw)))
		out = append(out, raw...)
	}
	_, _ = st.Write(out)
}

// signPicture signs a picture by key in gid as group.ComposeImage does:
// its chunks, then the manifest that lists them; forge, if not nil,
// changes a chunk's data (keeping its length) before it is signed.
func signPicture(t *testing.T, key ed25519.PrivateKey, gid message.GroupID, file []byte, caption string, forge func([]byte)) (*message.Message, []*message.Message) {
	t.Helper()
	im, err := media.Prepare(file, media.Config{})
	if err != nil {
		t.Fatal(err)
	}
	at := uint64(time.Now().UnixMilli())
	var chunks []*message.Message
	var ids []message.ID
	for _, data := range im.Chunks() {
		data = bytes.Clone(data)
		if forge != nil {
			forge(data)
		}
		payload, err := media.EncodeChunk(data)
		if err != nil {
			t.Fatal(err)
		}
		m, err := message.Sign(key, message.Body{Group: gid, SentAtMS: at, Kind: message.KindImageChunk, Payload: payload})
		if err != nil {
			t.Fatal(err)
		}
		chunks, ids = append(chunks, m), append(ids, m.ID)
	}
	payload, err := media.EncodeManifest(media.NewManifest(im, ids, caption, "mallory"))
	if err != nil {
		t.Fatal(err)
	}
	man, err := message.Sign(key, message.Body{Group: gid, SentAtMS: at, Kind: message.KindImage, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	return man, chunks
}

// noisyPNG is a w×h picture of noise, which stays large once prepared.
func noisyPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x := uint32(7)
	for i := range img.Pix {
		x = x*1664525 + 1013904223
		img.Pix[i] = byte(x >> 24)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPhonePictureFetch: a picture's chunks come only by fetch by ID. A Go
// peer the phone added as a relay gossips a picture's manifest: while no
// peer holds its chunks (the page's own relay neither), the phone shows
// the preview and says so; once the peer holds them, a tap on the preview
// fetches them and the full picture shows at its natural size. A picture
// whose chunk its author altered (the manifest's digest no longer matches)
// is shown as damaged, never drawn.
func TestPhonePictureFetch(t *testing.T) {
	chunks := &chunkServer{held: map[message.ID][]byte{}}
	p, gid, evil := hostileLobby(t, func(h *hostile) { h.host.SetStreamHandler(catchup.FetchProtocolID, chunks.handle) })

	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	man, parts := signPicture(t, key, gid, noisyPNG(t, 640, 480), "mallory's square", nil)
	if len(parts) < 2 {
		t.Fatalf("the picture has %d chunks, want several (several answers in one stream)", len(parts))
	}
	if err := evil.topic.Publish(ctx, man.Raw); err != nil {
		t.Fatal(err)
	}
	p.waitText("mallory's square")
	fig := `document.querySelector('[data-id="` + man.ID.String() + `"] figure.picture')`
	p.waitJS("the preview shows", fig+`.querySelector('img.preview').naturalWidth > 0`)
	p.waitJS("the phone says no peer holds the picture", fig+`.dataset.state === 'missing' && /No connected peer holds this picture/.test(`+fig+`.querySelector('figcaption').textContent)`)
	p.screenshot("phone-picture-missing")

	chunks.hold(parts...)
	tapped := time.Now()
	p.do(chromedp.Click(chromedp.CSS(`[data-id="` + man.ID.String() + `"] figure.picture img.preview`)))
	p.waitJS("the full picture shows at its natural size", fig+`.dataset.state === 'shown' && `+fig+`.querySelector('img.full').naturalWidth === 640 && `+fig+`.querySelector('img.full').naturalHeight === 480`)
	size := 0
	for _, c := range parts {
		size += len(c.Raw)
	}
	t.Logf("figure: %d chunks (%d bytes of envelopes) fetched, judged, stored and drawn %v after the tap (waitJS polling included)", len(parts), size, time.Since(tapped).Round(time.Millisecond))

	// An altered chunk: the engine finds the picture damaged.
	bad, badParts := signPicture(t, key, gid, testPNG(t), "mallory's altered square", func(b []byte) { b[len(b)/2] ^= 0xff })
	chunks.hold(badParts...)
	if err := evil.topic.Publish(ctx, bad.Raw); err != nil {
		t.Fatal(err)
	}
	p.waitText("mallory's altered square")
	badFig := `document.querySelector('[data-id="` + bad.ID.String() + `"] figure.picture')`
	p.waitJS("the altered picture is shown as damaged", badFig+`.dataset.state === 'broken' && /damaged/.test(`+badFig+`.querySelector('figcaption').textContent) && `+badFig+`.querySelector('img.full') == null`)
	p.screenshot("phone-picture-damaged")
	if n := mustEval[float64](p, `(async () => (await __phone.store.db.getAllFromIndex('chunks', 'manifest', `+jsString(bad.ID.String())+`)).length)()`); n != 0 {
		t.Errorf("the damaged picture's %v chunks are still stored", n)
	}
}
