package schedule

import (
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/catchup"
	"starling/message"
)

// The book's per-peer maps stay bounded however many peers come and go:
// start times older than minSyncGap and slow marks past their cooldown are
// forgotten, and the slow list drops the mark that ends soonest when full.
func TestBookMapsBounded(t *testing.T) {
	s := newBook()
	now := time.Now()
	for i := range 3 * maxTried {
		k := syncKey{message.GroupID{byte(i % 7)}, peer.ID(fmt.Sprint("peer ", i))}
		now = now.Add(minSyncGap / 100)
		if !s.claim(k, now, false) {
			t.Fatalf("claim %d refused", i)
		}
		s.done(k, catchup.Result{}, errSyncSkipped)
	}
	if len(s.tried) > maxTried {
		t.Errorf("tried holds %d entries, more than %d", len(s.tried), maxTried)
	}
	for i := range 3 * maxSlowPeers {
		s.markSlow(peer.ID(fmt.Sprint("slow ", i)), now.Add(time.Duration(i)*time.Millisecond))
	}
	if len(s.slow) > maxSlowPeers {
		t.Errorf("slow holds %d entries, more than %d", len(s.slow), maxSlowPeers)
	}
	last := peer.ID(fmt.Sprint("slow ", 3*maxSlowPeers-1))
	if !s.cooling(last, now) {
		t.Error("the latest slow mark was dropped")
	}
	if s.cooling(last, now.Add(2*slowCooldown)) {
		t.Error("a slow mark outlived its cooldown")
	}
}
