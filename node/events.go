package node

import (
	"errors"
	"sync"

	"starling/store"
)

// ErrLagged ends a subscription whose reader fell behind by more than its
// buffer. The reader should read History from where it was and subscribe
// again; nothing is lost from the store.
var ErrLagged = errors.New("subscriber fell behind")

// subscription is one reader of the hub.
type subscription struct {
	c    chan store.Stored
	hub  *hub
	err  error // set before c is closed
	once sync.Once
}

func (s *subscription) close() { s.hub.remove(s, nil) }

// hub fans committed messages out to subscribers. publish runs on the
// store's writer goroutine, so it never blocks: a subscriber whose buffer is
// full is closed with ErrLagged rather than stall every write.
type hub struct {
	buf    int
	mu     sync.Mutex
	subs   map[*subscription]struct{}
	closed bool
}

func newHub(buf int) *hub { return &hub{buf: buf, subs: map[*subscription]struct{}{}} }

func (h *hub) subscribe() *subscription {
	c := make(chan store.Stored, h.buf)
	s := &subscription{c: c, hub: h}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.endLocked(ErrClosed)
		return s
	}
	h.subs[s] = struct{}{}
	return s
}

func (h *hub) publish(batch []store.Stored) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		for _, m := range batch {
			select {
			case s.c <- m:
				continue
			default:
			}
			delete(h.subs, s)
			s.endLocked(ErrLagged)
			break
		}
	}
}

func (h *hub) remove(s *subscription, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		s.endLocked(err)
	}
}

func (h *hub) errOf(s *subscription) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return s.err
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		delete(h.subs, s)
		s.endLocked(ErrClosed)
	}
}

// endLocked closes s's channel once; the hub's mutex is held.
func (s *subscription) endLocked(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.c)
	})
}
