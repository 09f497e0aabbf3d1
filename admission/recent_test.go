package admission

import (
	"testing"
	"time"

	"starling/message"
)

// TestRecentIDs checks how long an admitted ID is remembered: at least
// recentFor and less than twice that, or until max more have been admitted
// twice over; and that a clock that goes back forgets rather than keeps.
func TestRecentIDs(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := newRecentIDs(3, func() time.Time { return now })
	id := func(i byte) message.ID { return message.ID{i} }
	want := func(when string, i byte, held bool) {
		t.Helper()
		if r.has(id(i)) != held {
			t.Errorf("%s: has(%d) = %v, want %v", when, i, !held, held)
		}
	}

	r.add(id(1))
	want("at once", 1, true)
	want("at once", 2, false)
	now = now.Add(recentFor - time.Second)
	want("just under recentFor", 1, true)
	now = now.Add(2 * time.Second)
	want("just over recentFor", 1, true)
	now = now.Add(recentFor)
	want("after twice recentFor", 1, false)

	for i := range byte(3) {
		r.add(id(10 + i))
	}
	r.add(id(13)) // the fourth: a new generation
	want("one generation later", 10, true)
	want("one generation later", 13, true)
	r.add(id(14))
	r.add(id(15))
	r.add(id(16)) // the seventh: the first three go
	want("two generations later", 10, false)
	want("two generations later", 13, true)
	want("two generations later", 16, true)

	now = now.Add(-time.Hour)
	want("after the clock went back", 16, false)
	r.add(id(17))
	want("after the clock went back", 17, true)
}

// TestSlowWriteChargesOnce: a message admitted by gossip that still waits
// in the store's writer queue when catch-up brings it again is charged
// once, for as long as such a wait can plausibly last (nothing bounds it:
// a full queue, a purge running in line, Badger's level-0 stall). Charged
// twice, it fills the author's rate window and their next message is
// refused as final, so catch-up never fetches it either. With IDs kept
// 15 s, the 31 s case failed.
func TestSlowWriteChargesOnce(t *testing.T) {
	for _, wait := range []time.Duration{5 * time.Second, 31 * time.Second} {
		t.Run(wait.String(), func(t *testing.T) {
			f := newFixture(t, Limits{Burst: 2, Rate: 2.0 / 60}, nil) // 2 per 60 s of sent_at
			g := newGroup("dup")
			ann := newAuthor("ann")
			base := time.UnixMilli(int64(message.TimeMS(f.now)) / 60000 * 60000)
			m1 := ann.text(t, g.id, base, 200, "one")
			m2 := ann.text(t, g.id, base.Add(time.Second), 200, "two")
			gossipSrc := Source{Way: Gossip, Peer: "gossiper", Addr: "192.0.2.7"}
			// Gossip admits m1; it is queued for the writer, not yet stored.
			if v, err := f.adm.Admit(gossipSrc, g, m1); v != message.Accept {
				t.Fatal(v, err)
			}
			f.advance(wait)
			// Catch-up brings m1 again: store.Has is still false.
			if v, err := f.adm.Admit(fromPeer, g, m1); v != message.Accept {
				t.Fatal(v, err)
			}
			if v, err := f.adm.Admit(fromPeer, g, m2); v != message.Accept {
				t.Errorf("after the writer held m1 %s: the author's second message was refused: %v (%v)", wait, v, err)
			}
		})
	}
}
