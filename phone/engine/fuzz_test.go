package engine

import (
	"testing"

	pb "starling/catchup/catchuppb"
	"starling/catchup/wire"
	"starling/group"
)

// FuzzSyncFeed: whatever a peer sends on a catch-up stream, the engine
// answers with an error or goes on; it never panics, and a session that
// ended takes nothing more.
func FuzzSyncFeed(f *testing.F) {
	for _, fr := range [][]byte{
		mustFrame(f, wire.Reconcile([]byte{0x61})),
		mustFrame(f, wire.Answer([][]byte{[]byte("x")}, nil)),
		mustFrame(f, wire.Done()),
		mustFrame(f, wire.Error("busy")),
		{0x80, 0x80, 0x80, 0x80},
		{},
	} {
		f.Add(fr, 3)
	}
	owner := newOwner(f, "olga", group.KindOpen)
	link := owner.link(f)
	f.Fuzz(func(t *testing.T, data []byte, chunk int) {
		e := New(nil)
		if _, _, err := e.CreateIdentity("pat"); err != nil {
			t.Fatal(err)
		}
		j, err := e.Join(link)
		if err != nil {
			t.Fatal(err)
		}
		st, err := e.SyncStart(j.Group.ID)
		if err != nil {
			t.Fatal(err)
		}
		chunk = max(1, chunk%64)
		ended := false
		for len(data) > 0 {
			n := min(chunk, len(data))
			fed := e.SyncFeed(st.Session, data[:n])
			data = data[n:]
			if ended && fed.Code != CodeBadArgument {
				t.Fatalf("a session that ended took more: %+v", fed)
			}
			ended = ended || fed.Done || fed.Error != ""
		}
	})
}

// FuzzReceive: no envelope makes the engine panic, and what it accepts
// verifies.
func FuzzReceive(f *testing.F) {
	owner := newOwner(f, "olga", group.KindOpen)
	m := owner.post(f, "hello")
	f.Add(m.Raw)
	f.Add(owner.msgs[0].Raw)
	f.Add([]byte{})
	link := owner.link(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		e := New(nil)
		e.CreateIdentity("pat")
		if _, err := e.Join(link); err != nil {
			t.Fatal(err)
		}
		r := e.Receive(raw, owner.st.Topic())
		for _, s := range r.Stored {
			if _, err := e.View(s.Record.Raw); err != nil {
				t.Fatalf("a stored message does not view: %v", err)
			}
		}
	})
}

func mustFrame(f *testing.F, fr *pb.Frame) []byte {
	b, err := wire.Append(nil, fr, wire.MaxFrameSize)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
