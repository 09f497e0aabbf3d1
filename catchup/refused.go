package catchup

import (
	"sync"
	"time"

	"starling/message"
)

// Messages this node refused are remembered, so that no session fetches
// them again: without this a blocked author's messages, or junk sealed
// under a key nobody holds, were fetched and judged again in every
// session. What Check ignored is view-dependent, so a refusal holds only
// while the group's view (Config.View) stays what it was and for at most
// Config.RefusedTTL; the newest Config.MaxRefused refusals are kept.
type refusals struct {
	max  int
	ttl  time.Duration
	now  func() time.Time
	view func(message.GroupID) uint64

	mu   sync.Mutex
	byID map[message.ID]refusal
	ring []message.ID // oldest refusal at next once full
	next int
}

type refusal struct {
	group message.GroupID
	view  uint64
	at    time.Time
	slot  int // its place in ring
}

func newRefusals(cfg Config) *refusals {
	return &refusals{max: cfg.MaxRefused, ttl: cfg.RefusedTTL, now: cfg.Clock, view: cfg.View,
		byID: make(map[message.ID]refusal)} // ring grows on use: an idle node holds nothing
}

func (r *refusals) viewOf(g message.GroupID) uint64 {
	if r.view == nil {
		return 0
	}
	return r.view(g)
}

// add remembers that id, of group g, was refused.
func (r *refusals) add(g message.GroupID, id message.ID) {
	if r.max == 0 {
		return
	}
	view, now := r.viewOf(g), r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.byID[id]; ok {
		old.group, old.view, old.at = g, view, now
		r.byID[id] = old
		return
	}
	slot := r.next
	if len(r.ring) < r.max {
		r.ring = append(r.ring, id)
	} else {
		if old, ok := r.byID[r.ring[slot]]; ok && old.slot == slot {
			delete(r.byID, r.ring[slot])
		}
		r.ring[slot] = id
	}
	r.next = (slot + 1) % r.max
	r.byID[id] = refusal{group: g, view: view, at: now, slot: slot}
}

// refused reports whether id, of group g, was refused under the group's
// current view within the TTL.
func (r *refusals) refused(g message.GroupID, id message.ID) bool {
	view, now := r.viewOf(g), r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byID[id]
	if !ok {
		return false
	}
	if e.group != g || e.view != view || now.Sub(e.at) >= r.ttl {
		delete(r.byID, id)
		return false
	}
	return true
}

// of returns group g's refusals that hold now: a 2.0.0 client counts them
// in its set, so the sketch cancels them out and they are not fetched again.
func (r *refusals) of(g message.GroupID) []message.ID {
	view, now := r.viewOf(g), r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []message.ID
	for id, e := range r.byID {
		if e.group == g && e.view == view && now.Sub(e.at) < r.ttl {
			out = append(out, id)
		}
	}
	return out
}
