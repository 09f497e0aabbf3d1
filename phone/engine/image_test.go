package engine

import (
	"testing"
	"time"

	"starling/group"
)

// TestImageManifest: a picture's manifest is accepted and viewed with its
// caption and preview; its chunks, which honest nodes never gossip, are
// rejected.
func TestImageManifest(t *testing.T) {
	owner := newOwner(t, "olga", group.KindOpen)
	im := testImage(t, 300, 200)
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
