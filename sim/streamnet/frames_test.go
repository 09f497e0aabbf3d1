package streamnet

import (
	"testing"
	"time"
)

func TestFramesKeepTimeOrder(t *testing.T) {
	var q frames
	t0 := time.Unix(0, 0)
	at := func(ms int) frame { return frame{at: t0.Add(time.Duration(ms) * time.Millisecond), stream: uint64(ms)} }
	want := []uint64{}
	for round := range 50 {
		// Out of order, with ties: 3 before 1 before 2, then the ties.
		base := round * 10
		q.insert(at(base + 3))
		q.insert(at(base + 1))
		q.insert(frame{at: at(base + 1).at, stream: 1000 + uint64(round)}) // a tie goes after
		q.insert(at(base + 2))
		want = append(want, uint64(base+1), 1000+uint64(round), uint64(base+2), uint64(base+3))
		// Take some from the front as they are due, as fire does.
		for q.len() > 2 {
			if got := q.pop().stream; got != want[0] {
				t.Fatalf("round %d: popped %d, want %d", round, got, want[0])
			}
			want = want[1:]
		}
	}
	for q.len() > 0 {
		if got := q.pop().stream; got != want[0] {
			t.Fatalf("popped %d, want %d", got, want[0])
		}
		want = want[1:]
	}
	if cap(q.buf) > keptFrames {
		t.Errorf("the array grew to %d for a queue of at most 6", cap(q.buf))
	}
}

func TestFramesLetGoOfABurstsArray(t *testing.T) {
	var q frames
	t0 := time.Unix(0, 0)
	for i := range 1000 {
		q.push(frame{at: t0.Add(time.Duration(i))})
	}
	for q.len() > 0 {
		q.pop()
	}
	// An idle connection's paths should not keep their busiest moment's
	// array (80 kB here) for the rest of the run.
	if cap(q.buf) > keptFrames {
		t.Errorf("an empty queue keeps an array of %d frames", cap(q.buf))
	}
}
