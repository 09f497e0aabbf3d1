package catchup

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/message"
	"starling/sim/memnet/memtest"
)

// ignoreTexts wraps check: it ignores texts containing word, as a node
// ignores a blocked author's messages, and counts the envelopes judged.
func ignoreTexts(word string, judged *atomic.Int64) func(peer.ID, message.GroupID, []byte) (*message.Message, message.Verdict, error) {
	inner := check(time.Now)
	return func(p peer.ID, g message.GroupID, raw []byte) (*message.Message, message.Verdict, error) {
		judged.Add(1)
		m, v, err := inner(p, g, raw)
		if v != message.Accept {
			return m, v, err
		}
		if t, err := message.DecodeText(m.Body.Payload); err == nil && strings.Contains(t.Text, word) {
			return nil, message.Ignore, errors.New("blocked")
		}
		return m, v, nil
	}
}

// Messages a node ignored are not fetched (nor judged) again in later
// sessions while its view of the group stays the same; once the view
// changes (an author unblocked, a key learnt) they are fetched again.
func TestRefusedNotFetchedAgain(t *testing.T) { memtest.Run(t, testRefusedNotFetchedAgain) }

func testRefusedNotFetchedAgain(t *testing.T) {
	g := groupID("refused")
	var judged atomic.Int64
	var view atomic.Uint64
	client, server := pair(t, Config{Judge: CheckFunc(ignoreTexts("blocked", &judged)),
		View: func(message.GroupID) uint64 { return view.Load() }}, Config{}, g)
	server.put(t, gen(t, g, "fine", 10, spread)...)
	server.put(t, gen(t, g, "blocked", 5, func(i int) uint64 { return spread(100 + i) })...)

	if res := client.sync(t, server.h.ID(), g); res.Fetched != 10 || res.Ignored != 5 {
		t.Fatalf("first sync = %+v, want 10 fetched and 5 ignored", res)
	}
	judged.Store(0)
	res := client.sync(t, server.h.ID(), g)
	// Negentropy (1.1.0) finds the 5 and skips them; a sketch (2.0.0)
	// counts them as held, so they are no difference at all.
	skipped := res.Skipped == 5 || res.Protocol == string(ProtocolID2) && res.Skipped == 0
	if res.Ignored != 0 || !skipped || res.Batches != 0 || judged.Load() != 0 {
		t.Errorf("second sync = %+v with %d judged; want the 5 refused skipped, nothing fetched", res, judged.Load())
	}
	view.Add(1)
	if res := client.sync(t, server.h.ID(), g); res.Ignored != 5 || res.Skipped != 0 {
		t.Errorf("sync after the view changed = %+v, want the 5 fetched and judged again", res)
	}
}

// The refusal memory keeps the newest MaxRefused refusals and forgets a
// refusal after RefusedTTL.
func TestRefusalsBounded(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	r := newRefusals(Config{MaxRefused: 100, RefusedTTL: time.Minute, Clock: clock.Now})
	g := groupID("bounded")
	id := func(i int) message.ID { return message.ID{byte(i), byte(i >> 8), 1} }
	for i := range 1000 {
		r.add(g, id(i))
	}
	if len(r.byID) != 100 || !r.refused(g, id(999)) || r.refused(g, id(0)) {
		t.Fatalf("%d remembered; newest refused %v, oldest %v; want the newest 100", len(r.byID), r.refused(g, id(999)), r.refused(g, id(0)))
	}
	if r.refused(groupID("other"), id(999)) {
		t.Error("a refusal holds in another group")
	}
	clock.advance(time.Minute)
	if r.refused(g, id(998)) {
		t.Error("a refusal outlived RefusedTTL")
	}
}
