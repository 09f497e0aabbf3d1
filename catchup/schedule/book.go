package schedule

import (
	"starling/catchup"
	"starling/message"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

type syncKey struct {
	group message.GroupID
	peer  peer.ID
}

// syncRequest asks for a session; force skips the minSyncGap rule.
type syncRequest struct {
	syncKey
	force bool
}

// book is the scheduler's bookkeeping. Its mutex guards the maps.
type book struct {
	// queue holds pointers: syncQueue requests by value would be most of
	// an idle simulated node's catch-up memory.
	queue chan *syncRequest

	mu      sync.Mutex
	last    map[message.GroupID]catchup.Result // last completed session per group
	tried   map[syncKey]time.Time              // last start per group and peer, within minSyncGap
	running map[syncKey]bool
	pending map[syncKey]bool      // a follow-up is scheduled
	slow    map[peer.ID]time.Time // until when a slow peer is left alone
	// keys counts the epoch keys each group learnt; a session during which
	// it rose and that ignored messages runs again (syncOne).
	keys map[message.GroupID]uint64
	// steps notes the peers found in step per group (quiet.go); rounds
	// counts the groups' periodic rounds, skipped those that started no
	// session for it.
	steps           map[syncKey]stepNote
	rounds, skipped uint64
}

func newBook() book {
	return book{
		queue:   make(chan *syncRequest, syncQueue),
		last:    map[message.GroupID]catchup.Result{},
		tried:   map[syncKey]time.Time{},
		running: map[syncKey]bool{},
		pending: map[syncKey]bool{},
		slow:    map[peer.ID]time.Time{},
		keys:    map[message.GroupID]uint64{},
		steps:   map[syncKey]stepNote{},
	}
}

// markSlow leaves p alone for slowCooldown from now.
func (b *book) markSlow(p peer.ID, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.slow) >= maxSlowPeers {
		for q, until := range b.slow {
			if !now.Before(until) {
				delete(b.slow, q)
			}
		}
	}
	for len(b.slow) >= maxSlowPeers {
		var first peer.ID
		var end time.Time
		for q, until := range b.slow {
			if end.IsZero() || until.Before(end) {
				first, end = q, until
			}
		}
		delete(b.slow, first)
	}
	b.slow[p] = now.Add(slowCooldown)
}

// cooling reports whether p is left alone now.
func (b *book) cooling(p peer.ID, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	until, ok := b.slow[p]
	if ok && !now.Before(until) {
		delete(b.slow, p)
		return false
	}
	return ok
}

// request asks for an automatic session without blocking.
func (b *book) request(r syncRequest) {
	select {
	case b.queue <- &r:
	default:
	}
}

// claim marks a session as started unless one runs or ran too recently;
// force skips the recency rule.
func (b *book) claim(k syncKey, now time.Time, force bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running[k] || (!force && now.Sub(b.tried[k]) < minSyncGap) {
		return false
	}
	if len(b.tried) >= maxTried {
		for q, at := range b.tried {
			if now.Sub(at) >= minSyncGap {
				delete(b.tried, q)
			}
		}
	}
	b.running[k] = true
	b.tried[k] = now
	return true
}

func (b *book) done(k syncKey, res catchup.Result, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.running, k)
	if err == nil {
		b.last[k.group] = res
	}
}

// schedule marks a follow-up for k as pending; false if one already is.
func (b *book) schedule(k syncKey) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending[k] {
		return false
	}
	b.pending[k] = true
	return true
}

func (b *book) unschedule(k syncKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.pending, k)
}

// KeyLearnt counts a new epoch key of group g: a session under way that
// ignored messages runs again.
func (b *book) KeyLearnt(g message.GroupID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.keys[g]++
}

func (b *book) keyCount(g message.GroupID) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.keys[g]
}
