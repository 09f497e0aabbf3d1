package admission

import (
	"sync"

	"starling/message"
)

// recentIDs remembers the last messages admitted, so that one that comes
// twice at once (by gossip and by catch-up) is charged once. A ring that
// grows on use up to its size, then overwrites the oldest; safe for
// concurrent use.
type recentIDs struct {
	mu   sync.Mutex
	set  map[message.ID]struct{}
	ring []message.ID // grows on use up to max, then wraps
	next int
	max  int
}

func newRecentIDs(n int) *recentIDs {
	// Nothing is allocated ahead: an idle node (the simulator runs
	// thousands) holds only what it has seen.
	return &recentIDs{set: make(map[message.ID]struct{}), max: n}
}

func (r *recentIDs) has(id message.ID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.set[id]
	return ok
}

func (r *recentIDs) add(id message.ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.set[id]; ok {
		return
	}
	if len(r.ring) < r.max {
		r.ring = append(r.ring, id)
	} else {
		delete(r.set, r.ring[r.next])
		r.ring[r.next] = id
		r.next = (r.next + 1) % r.max
	}
	r.set[id] = struct{}{}
}
