package streamnet

import (
	"slices"
	"time"
)

// frames is a queue of frames that reuses its array: frames leave from
// the front (head) and join at the back or, in time order, anywhere after
// the head.
type frames struct {
	buf  []frame
	head int
}

func (q *frames) len() int { return len(q.buf) - q.head }

// first is the frame at the front; the queue must not be empty.
func (q *frames) first() *frame { return &q.buf[q.head] }

// keptFrames is the most frames an empty queue's array keeps room for:
// a chat message and its control frames. Every connection has four queues
// (two a direction), and a relay hundreds of connections: at 64 the 1k
// hall's idle queues held 19 MB of arrays at the end of its run.
const keptFrames = 16

// pop takes the frame at the front; the queue must not be empty.
func (q *frames) pop() frame {
	f := q.buf[q.head]
	q.buf[q.head] = frame{}
	q.head++
	if q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
		if cap(q.buf) > keptFrames {
			q.buf = nil // a burst's array, which an idle path would keep
		}
	}
	return f
}

// push adds f at the back.
func (q *frames) push(f frame) {
	q.compact()
	q.buf = append(q.buf, f)
}

// insert adds f after every frame that arrives no later, and reports
// whether it went to the front.
func (q *frames) insert(f frame) (front bool) {
	q.compact()
	i, _ := slices.BinarySearchFunc(q.buf[q.head:], f.at, func(x frame, t time.Time) int {
		if x.at.After(t) {
			return 1
		}
		return -1 // equal times keep their sending order
	})
	q.buf = slices.Insert(q.buf, q.head+i, f)
	return i == 0
}

// compact moves the queue to the front of its array once the head has
// passed half of it.
func (q *frames) compact() {
	if q.head > 0 && q.head >= len(q.buf)/2 {
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:])
		q.buf, q.head = q.buf[:n], 0
	}
}

// all is the frames in the queue, front first, to change in place.
func (q *frames) all() []frame { return q.buf[q.head:] }

func (q *frames) reset() { q.buf, q.head = nil, 0 }
