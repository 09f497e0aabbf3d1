// Package delivery tracks what a node knows about where its user's own
// messages went: still only on this device, handed to some peers, or held
// by an organiser relay. Interfaces show it beside each sent message.
//
// Gossip has no acknowledgements, so the states are what this node saw
// itself do: a message is "sent" to the peers gossip wrote it to, and
// "relayed" once it was written directly to a relay (which stores every
// message of the groups it carries) or a complete catch-up session with a
// relay left the relay holding everything of the group sent before it.
package delivery

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/message"
)

// State is how far one message got.
type State uint8

const (
	// Queued: stored on this device only, waiting for a peer.
	Queued State = iota
	// Sent: handed to at least one peer.
	Sent
	// Relayed: an organiser relay holds it.
	Relayed
	// Refused: it will not go out: this user was removed from the group or
	// banned before it left the device.
	Refused
)

func (s State) String() string {
	switch s {
	case Queued:
		return "queued"
	case Sent:
		return "sent"
	case Relayed:
		return "relayed"
	case Refused:
		return "refused"
	}
	return "unknown"
}

// Status is one message's delivery.
type Status struct {
	ID    message.ID
	Group message.GroupID
	State State
	// Peers counts the distinct peers it was handed to, relays included;
	// Relays the organiser relays among them known to hold it.
	Peers, Relays int
	// At is when the message reached this state.
	At time.Time
}

// DefaultLimit is how many recent messages a Tracker remembers.
const DefaultLimit = 4096

// Tracker remembers the delivery of the most recent own messages (older
// ones are forgotten first) and reports every change. Safe for concurrent
// use.
type Tracker struct {
	limit    int
	clock    func() time.Time
	onChange func(Status)

	mu    sync.Mutex
	msgs  map[message.ID]*tracked
	order []message.ID // oldest first, for eviction
}

type tracked struct {
	group  message.GroupID
	sentAt time.Time
	peers  map[peer.ID]bool // peer -> is a relay
	status Status
}

// NewTracker returns a tracker for up to limit messages (DefaultLimit when
// not positive). onChange, if set, hears every change in order; it runs
// under the tracker's lock, so it must not block or call the tracker.
// clock defaults to time.Now.
func NewTracker(limit int, clock func() time.Time, onChange func(Status)) *Tracker {
	if limit <= 0 {
		limit = DefaultLimit
	}
	if clock == nil {
		clock = time.Now
	}
	return &Tracker{limit: limit, clock: clock, onChange: onChange, msgs: map[message.ID]*tracked{}}
}

// Queued records an own message stored on this device. A message already
// tracked keeps what it had.
func (t *Tracker) Queued(m *message.Message) {
	t.update(func() []Status {
		if _, ok := t.msgs[m.ID]; ok {
			return nil
		}
		tr := &tracked{group: m.Body.Group, sentAt: m.Body.SentAt(), peers: map[peer.ID]bool{}}
		tr.status = Status{ID: m.ID, Group: m.Body.Group, State: Queued, At: t.clock()}
		t.msgs[m.ID] = tr
		t.order = append(t.order, m.ID)
		t.evict()
		return []Status{tr.status}
	})
}

// Handed records that gossip wrote m to peers; isRelay says which of them
// are organiser relays.
func (t *Tracker) Handed(m *message.Message, peers []peer.ID, isRelay func(peer.ID) bool) {
	t.Queued(m)
	t.update(func() []Status {
		tr := t.msgs[m.ID]
		if tr == nil || !t.add(tr, peers, isRelay) {
			return nil
		}
		return []Status{tr.status}
	})
}

// Synced records a complete catch-up session with p in group g: p now
// holds every message of g this node sent before the session began.
func (t *Tracker) Synced(g message.GroupID, p peer.ID, relay bool, began time.Time) {
	t.update(func() []Status {
		var changed []Status
		for _, id := range t.order {
			tr := t.msgs[id]
			if tr.group != g || tr.sentAt.After(began) {
				continue
			}
			if t.add(tr, []peer.ID{p}, func(peer.ID) bool { return relay }) {
				changed = append(changed, tr.status)
			}
		}
		return changed
	})
}

// Refused records that a queued message will not go out (its group refuses
// this user's messages now).
func (t *Tracker) Refused(id message.ID) {
	t.update(func() []Status {
		tr := t.msgs[id]
		if tr == nil || tr.status.State != Queued {
			return nil
		}
		tr.status.State, tr.status.At = Refused, t.clock()
		return []Status{tr.status}
	})
}

// Get returns what is known of a message; false when it is not one of the
// recent own messages.
func (t *Tracker) Get(id message.ID) (Status, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tr, ok := t.msgs[id]; ok {
		return tr.status, true
	}
	return Status{}, false
}

// add counts new peers into tr's status; the lock is held. It reports
// whether the status changed.
func (t *Tracker) add(tr *tracked, peers []peer.ID, isRelay func(peer.ID) bool) bool {
	changed := false
	for _, p := range peers {
		relay := isRelay != nil && isRelay(p)
		if was, ok := tr.peers[p]; ok && (was || !relay) {
			continue
		}
		tr.peers[p] = relay
		changed = true
	}
	if !changed {
		return false
	}
	s := &tr.status
	s.Peers, s.Relays = len(tr.peers), 0
	for _, relay := range tr.peers {
		if relay {
			s.Relays++
		}
	}
	state := Sent
	if s.Relays > 0 {
		state = Relayed
	}
	if state != s.State {
		s.State, s.At = state, t.clock()
	}
	return true
}

// update runs f under the lock and reports what it changed.
func (t *Tracker) update(f func() []Status) {
	t.mu.Lock()
	defer t.mu.Unlock()
	changed := f()
	if t.onChange != nil {
		for _, s := range changed {
			t.onChange(s)
		}
	}
}

// evict forgets the oldest messages beyond the limit; the lock is held.
func (t *Tracker) evict() {
	for len(t.order) > t.limit {
		delete(t.msgs, t.order[0])
		t.order = t.order[1:]
	}
}
