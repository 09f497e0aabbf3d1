package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"starling/message"
)

func TestBadInput(t *testing.T) {
	s, _ := backends[1].open(t, "", Config{})
	ctx := context.Background()
	g := groupID("input")
	good := sign(t, testKey, g, 10, "fine")
	other := sign(t, testKey, g, 11, "also fine")
	garbled := *good
	garbled.Raw = append([]byte{0xff}, good.Raw...)
	mismatched := *good
	mismatched.ID = other.ID
	tests := []struct {
		name   string
		m      *message.Message
		origin Origin
		want   error // nil: any error
	}{
		{"nil message", nil, OriginGossip, nil},
		{"raw does not decode", &garbled, OriginGossip, message.ErrMalformed},
		{"empty raw", &message.Message{ID: good.ID}, OriginGossip, message.ErrMalformed},
		{"id does not match raw", &mismatched, OriginGossip, nil},
		{"no origin", good, 0, nil},
		{"unknown origin", good, 9, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkErr := func(what string, err error) {
				t.Helper()
				if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
					t.Errorf("%s: %v, want an error wrapping %v", what, err, tc.want)
				}
			}
			added, err := s.Put(ctx, tc.m, tc.origin)
			checkErr("put", err)
			if added {
				t.Error("put reported added")
			}
			checkErr("enqueue", s.Enqueue(ctx, tc.m, tc.origin))
			if tc.origin == OriginGossip {
				_, err := s.PutOwn(ctx, tc.m)
				checkErr("put own", err)
			}
		})
	}
	if n, err := s.Count(g); err != nil || n != 0 {
		t.Errorf("count after bad input: %d, %v; want 0", n, err)
	}
	if out, err := s.Outbox(); err != nil || len(out) != 0 {
		t.Errorf("outbox after bad input: %d, %v", len(out), err)
	}
	checkHealthy(t, s)
	// A message with only Raw set is fine: its ID comes from the envelope.
	if added, err := s.Put(ctx, &message.Message{Raw: good.Raw}, OriginGossip); err != nil || !added {
		t.Errorf("raw-only message: %v, %v", added, err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open("", Config{}); err == nil {
		t.Error("open without a directory and not in memory succeeded")
	}
}

// TestLocked opens one directory twice. Badger locks it with flock, which
// conflicts between two open file descriptions even in one process, so no
// child process is needed.
func TestLocked(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := Open(dir, Config{})
	if err == nil {
		second.Close()
		t.Fatal("a second Open of a held directory succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	t.Logf("second open: %v", err)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Config{})
	if err != nil {
		t.Fatalf("open after the holder closed: %v", err)
	}
	s.Close()
}

// TestQueueFullHonoursContext fills the writer's queue behind a blocked
// OnStored and checks that Enqueue and Put give up when their context ends,
// and that Close still writes what was queued.
func TestQueueFullHonoursContext(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	log := newOnStoredLog()
	s, err := Open("", Config{InMemory: true, QueueSize: 2, MaxBatch: 1, OnStored: func(sts []Stored) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release // a misbehaving callback that blocks the writer
		log.add(sts)
	}})
	if err != nil {
		t.Fatal(err)
	}
	g := groupID("full")
	ms := genMessages(t, 4, g, func(i int) uint64 { return uint64(1 + i) })
	ctx := context.Background()
	if err := s.Enqueue(ctx, ms[0], OriginGossip); err != nil {
		t.Fatal(err)
	}
	<-entered // the writer holds ms[0] and waits in OnStored
	for _, m := range ms[1:3] {
		if err := s.Enqueue(ctx, m, OriginGossip); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := s.Enqueue(short, ms[3], OriginGossip); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("enqueue into a full queue: %v, want DeadlineExceeded", err)
	}
	if _, err := s.Put(short, ms[3], OriginGossip); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("put into a full queue: %v, want DeadlineExceeded", err)
	}
	close(release)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	seen, _ := log.snapshot()
	for _, m := range ms[:3] {
		if seen[m.ID] != 1 {
			t.Errorf("queued message %s stored %d times, want once", m.ID.Short(), seen[m.ID])
		}
	}
	if seen[ms[3].ID] != 0 {
		t.Error("the message whose context ended was stored")
	}
}
