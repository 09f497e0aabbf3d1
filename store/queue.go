package store

import (
	"context"
	"sync"
)

// writeQueue is the writer's queue: first in, first out, bounded at max
// requests. Its buffer grows on use and is given back once drained, so an
// idle store holds no buffer sized for the worst burst (a channel of
// DefaultQueueSize pointers is 32 KiB, and the simulator runs a thousand
// stores). Safe for concurrent use.
type writeQueue struct {
	mu     sync.Mutex
	items  []*writeReq // queued from head on
	head   int
	max    int
	closed bool
	// ready holds a token once something is queued or the queue closes;
	// only the writer receives from it.
	ready chan struct{}
	// room is closed, and replaced, when a full queue gives up a slot.
	room chan struct{}
}

// keepCap is the buffer a drained queue keeps; a larger one is dropped.
const keepCap = 64

func newWriteQueue(max int) *writeQueue {
	return &writeQueue{max: max, ready: make(chan struct{}, 1), room: make(chan struct{})}
}

// tryPush queues r unless the queue is full or closed. When it is full it
// returns the channel that closes once there is room.
func (q *writeQueue) tryPush(r *writeReq) (room <-chan struct{}, err error) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil, ErrClosed
	}
	if len(q.items)-q.head >= q.max {
		room = q.room
		q.mu.Unlock()
		return room, nil
	}
	if q.head > 0 && len(q.items) == cap(q.items) {
		// Slide what is queued to the front rather than grow.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, r)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return nil, nil
}

// push queues r, waiting while the queue is full until there is room, ctx
// is done or closing is closed.
func (q *writeQueue) push(ctx context.Context, closing <-chan struct{}, r *writeReq) error {
	for {
		room, err := q.tryPush(r)
		if err != nil || room == nil {
			return err
		}
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		case <-closing:
			return ErrClosed
		}
	}
}

// take waits for a request, then appends to batch it and whatever else is
// queued, up to n in all. It reports false, with batch unchanged, once the
// queue is closed and empty.
func (q *writeQueue) take(batch []*writeReq, n int) ([]*writeReq, bool) {
	for {
		q.mu.Lock()
		queued := len(q.items) - q.head
		if queued > 0 {
			k := min(queued, n-len(batch))
			batch = append(batch, q.items[q.head:q.head+k]...)
			clear(q.items[q.head : q.head+k])
			q.head += k
			if q.head == len(q.items) {
				q.items, q.head = q.items[:0], 0
				if cap(q.items) > keepCap {
					q.items = nil
				}
			}
			if queued >= q.max {
				close(q.room)
				q.room = make(chan struct{})
			}
			q.mu.Unlock()
			return batch, true
		}
		if q.closed {
			q.mu.Unlock()
			return batch, false
		}
		q.mu.Unlock()
		<-q.ready
	}
}

// close stops further pushes; take still returns what was queued.
func (q *writeQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
