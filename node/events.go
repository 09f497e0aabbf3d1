package node

import (
	"errors"
	"sync"
)

// ErrLagged ends a subscription whose reader fell behind by more than its
// buffer. The reader should read History from where it was and subscribe
// again; nothing is lost from the store.
var ErrLagged = errors.New("subscriber fell behind")

// subscription is one reader of a hub.
type subscription[T any] struct {
	c    chan T
	hub  *hub[T]
	err  error // set before c is closed
	once sync.Once
}

func (s *subscription[T]) close() { s.hub.remove(s, nil) }

// hub fans events out to subscribers: committed messages (publish runs on
// the store's writer goroutine) and delivery updates. publish never
// blocks: a subscriber whose buffer is full is closed with ErrLagged rather
// than stall every write.
type hub[T any] struct {
	buf    int
	mu     sync.Mutex
	subs   map[*subscription[T]]struct{}
	closed bool
}

func newHub[T any](buf int) *hub[T] {
	return &hub[T]{buf: buf, subs: map[*subscription[T]]struct{}{}}
}

func (h *hub[T]) subscribe() *subscription[T] {
	c := make(chan T, h.buf)
	s := &subscription[T]{c: c, hub: h}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.endLocked(ErrClosed)
		return s
	}
	h.subs[s] = struct{}{}
	return s
}

func (h *hub[T]) publish(batch ...T) {
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

func (h *hub[T]) remove(s *subscription[T], err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		s.endLocked(err)
	}
}

func (h *hub[T]) errOf(s *subscription[T]) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return s.err
}

func (h *hub[T]) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		delete(h.subs, s)
		s.endLocked(ErrClosed)
	}
}

// endLocked closes s's channel once; the hub's mutex is held.
func (s *subscription[T]) endLocked(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.c)
	})
}
