package node

import (
	"fmt"
	"sync"

	"starling/catchup"
	"starling/message"
	"starling/store"
)

// held is the set of this user's queued messages that catch-up must not
// serve yet: texts, profiles and deletions of private groups waiting in the
// outbox. Such a message was sealed under the key this node knew when it was
// written; until the node has caught up (confirmed) it may not know of a
// removal, and a removed member still receives the group's traffic. So it
// leaves only by publish, after reseal. Safe for concurrent use.
type held struct {
	mu  sync.Mutex
	ids map[message.GroupID]map[message.ID]bool
}

func newHeld() *held { return &held{ids: map[message.GroupID]map[message.ID]bool{}} }

func (h *held) add(m *message.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ids[m.Body.Group] == nil {
		h.ids[m.Body.Group] = map[message.ID]bool{}
	}
	h.ids[m.Body.Group][m.ID] = true
}

func (h *held) remove(m *message.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.ids[m.Body.Group], m.ID)
	if len(h.ids[m.Body.Group]) == 0 {
		delete(h.ids, m.Body.Group)
	}
}

func (h *held) has(g message.GroupID, id message.ID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ids[g][id]
}

// of returns a copy of group g's held IDs, nil when there are none.
func (h *held) of(g message.GroupID) map[message.ID]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.ids[g]) == 0 {
		return nil
	}
	out := make(map[message.ID]bool, len(h.ids[g]))
	for id := range h.ids[g] {
		out[id] = true
	}
	return out
}

// catchupStore is the store as catch-up sees it: without held messages.
type catchupStore struct {
	*store.Store
	held *held
}

var _ catchup.Store = catchupStore{}

func (s catchupStore) Items(g message.GroupID) ([]store.Item, error) {
	items, err := s.Store.Items(g)
	if err != nil {
		return nil, err
	}
	// Pictures' chunks are fetched by ID, never reconciled (images.go).
	chunks, err := s.Store.KindIDs(g, message.KindImageChunk)
	if err != nil {
		return nil, err
	}
	hold := s.held.of(g)
	if hold == nil && len(chunks) == 0 {
		return items, nil
	}
	out := items[:0:0]
	for _, it := range items {
		if !hold[it.ID] && !chunks[it.ID] {
			out = append(out, it)
		}
	}
	return out, nil
}

func (s catchupStore) Get(id message.ID) (store.Stored, error) {
	st, err := s.Store.Get(id)
	if err != nil {
		return st, err
	}
	if isChunk(st.Msg.Body.Kind) {
		return store.Stored{}, fmt.Errorf("message %s is a picture's chunk, fetched by ID only: %w", id.Short(), store.ErrNotFound)
	}
	if s.held.has(st.Msg.Body.Group, id) {
		return store.Stored{}, fmt.Errorf("message %s is held in the outbox: %w", id.Short(), store.ErrNotFound)
	}
	return st, nil
}
