package engine

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"starling/group"
	"starling/media"
)

// TestImageManifest: a picture's manifest is accepted and viewed with its
// caption and preview; its chunks, which honest nodes never gossip, are
// rejected.
func TestImageManifest(t *testing.T) {
	owner := newOwner(t, "olga", group.KindOpen)
	img := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
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
	chunks, manifest, err := owner.st.ComposeImage(owner.u, im, "the map", [32]byte{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	owner.keep(append(chunks, manifest)...)
	e := New(nil)
	mustIdentity(t, e, "pat")
	j := mustJoin(t, e, owner.link(t))
	runSync(t, e, j.Group.ID, newServer(t, owner.st.ID(), owner.msgs[:2]), 64) // the genesis and profile
	r := e.Receive(manifest.Raw, owner.st.Topic())
	if r.Verdict != "accept" || len(r.Stored) != 1 {
		t.Fatalf("the manifest: %+v", r)
	}
	v := r.Stored[0].View
	if v.Kind != "image" || v.Text != "the map" || v.Image == nil || v.Image.Width != im.Width || v.Image.Chunks != len(chunks) || len(v.Image.Preview) == 0 {
		t.Fatalf("the manifest's view: %+v %+v", v, v.Image)
	}
	if r := e.Receive(chunks[0].Raw, owner.st.Topic()); r.Verdict != "reject" {
		t.Fatalf("a chunk by gossip: %+v", r)
	}
}
