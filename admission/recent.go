package admission

import (
	"sync"
	"time"

	"starling/message"
)

// recentFor is how long recentIDs keeps an ID at least (and at most twice
// that): far longer than a message waits in the store's writer queue.
const recentFor = time.Minute

// recentIDs remembers the messages admitted lately, so that one that comes
// twice at once (by gossip and by catch-up, before the store holds it) is
// charged once. Once stored, a message is known to the store, which gossip
// (Inbound.Seen) and catch-up ask first, so an ID need only outlive its
// wait in the store's writer queue. IDs are kept in two generations, each
// begun every recentFor or once the current one holds max IDs; the older
// one is dropped whole, so memory follows the recent rate of messages, not
// the most ever admitted (a Go map never shrinks). Safe for concurrent use.
type recentIDs struct {
	mu        sync.Mutex
	cur, prev map[message.ID]struct{}
	since     time.Time // when cur began
	max       int       // IDs in cur at most
	now       func() time.Time
}

func newRecentIDs(max int, now func() time.Time) *recentIDs {
	// Nothing is allocated ahead: an idle node (the simulator runs
	// thousands) holds only what it has seen lately.
	return &recentIDs{max: max, now: now, since: now()}
}

// rotateLocked begins a new generation when the current one is due.
func (r *recentIDs) rotateLocked() {
	now := r.now()
	switch d := now.Sub(r.since); {
	case d < 0 || d >= 2*recentFor:
		r.cur, r.prev, r.since = nil, nil, now
	case d >= recentFor || len(r.cur) >= r.max:
		r.cur, r.prev, r.since = nil, r.cur, now
	}
}

func (r *recentIDs) has(id message.ID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rotateLocked()
	_, inCur := r.cur[id]
	_, inPrev := r.prev[id]
	return inCur || inPrev
}

func (r *recentIDs) add(id message.ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rotateLocked()
	if _, ok := r.prev[id]; ok {
		return
	}
	if r.cur == nil {
		r.cur = make(map[message.ID]struct{})
	}
	r.cur[id] = struct{}{}
}
