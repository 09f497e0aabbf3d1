package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestWriteQueue checks the writer's queue: first in, first out, taken in
// batches of at most n, bounded (a push into a full queue waits for room
// or its context), its buffer given back once drained, and after close
// still taken until empty while pushes fail.
func TestWriteQueue(t *testing.T) {
	q := newWriteQueue(3)
	reqs := make([]*writeReq, 5)
	for i := range reqs {
		reqs[i] = &writeReq{}
	}
	ctx := context.Background()
	closing := make(chan struct{})
	for _, r := range reqs[:3] {
		if err := q.push(ctx, closing, r); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := q.push(short, closing, reqs[3]); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("push into a full queue: %v, want the context's deadline", err)
	}
	pushed := make(chan error, 1)
	go func() { pushed <- q.push(ctx, closing, reqs[3]) }()
	batch, ok := q.take(nil, 2)
	if !ok || len(batch) != 2 || batch[0] != reqs[0] || batch[1] != reqs[1] {
		t.Fatalf("first take: %v %v, want the first two requests", batch, ok)
	}
	if err := <-pushed; err != nil {
		t.Fatalf("push once there is room: %v", err)
	}
	if err := q.push(ctx, closing, reqs[4]); err != nil {
		t.Fatal(err)
	}
	batch, ok = q.take(batch[:0], 10)
	if !ok || len(batch) != 3 || batch[0] != reqs[2] || batch[1] != reqs[3] || batch[2] != reqs[4] {
		t.Fatalf("second take: %v %v, want the last three requests in order", batch, ok)
	}
	if q.items != nil && cap(q.items) > keepCap || q.head != 0 {
		t.Fatalf("drained queue holds cap %d from %d", cap(q.items), q.head)
	}

	close(closing)
	for range keepCap { // fill past what a drained queue keeps
		if _, err := q.tryPush(&writeReq{}); err != nil {
			t.Fatal(err)
		}
		if batch, ok = q.take(batch[:0], 1); !ok || len(batch) != 1 {
			t.Fatalf("take: %v %v", batch, ok)
		}
	}
	if err := q.push(ctx, closing, reqs[0]); err != nil {
		t.Fatal(err)
	}
	q.close()
	if err := q.push(ctx, closing, reqs[1]); !errors.Is(err, ErrClosed) {
		t.Fatalf("push after close: %v, want ErrClosed", err)
	}
	if batch, ok = q.take(batch[:0], 10); !ok || len(batch) != 1 || batch[0] != reqs[0] {
		t.Fatalf("take after close: %v %v, want what was queued", batch, ok)
	}
	if batch, ok = q.take(batch[:0], 10); ok || len(batch) != 0 {
		t.Fatalf("take from a closed, empty queue: %v %v, want false", batch, ok)
	}
}

// TestWriteQueueBounded pushes many more requests than the bound from
// several goroutines while one takes them: all arrive, each goroutine's in
// order, and the queue never holds more than its bound.
func TestWriteQueueBounded(t *testing.T) {
	const senders, each, bound = 4, 500, 16
	q := newWriteQueue(bound)
	ctx, closing := context.Background(), make(chan struct{})
	reqs := make([]*writeReq, senders*each)
	index := make(map[*writeReq]int, len(reqs))
	for i := range reqs {
		reqs[i] = &writeReq{}
		index[reqs[i]] = i
	}
	for s := range senders {
		go func() {
			for i := range each {
				if err := q.push(ctx, closing, reqs[s*each+i]); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	last := make([]int, senders)
	for i := range last {
		last[i] = -1
	}
	var batch []*writeReq
	for got := 0; got < senders*each; {
		q.mu.Lock()
		if n := len(q.items) - q.head; n > bound {
			q.mu.Unlock()
			t.Fatalf("queue holds %d, bound %d", n, bound)
		}
		q.mu.Unlock()
		var ok bool
		if batch, ok = q.take(batch[:0], 5); !ok {
			t.Fatal("queue closed")
		}
		for _, r := range batch {
			s, i := index[r]/each, index[r]%each
			if i <= last[s] {
				t.Fatalf("sender %d: %d after %d", s, i, last[s])
			}
			last[s] = i
		}
		got += len(batch)
	}
}
