package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"starling/message"
)

// TestBigBatchesSplit sends batches far larger than Badger's transaction
// limit at the smallest memtable: the writer must split them without losing
// or half-writing a message.
func TestBigBatchesSplit(t *testing.T) {
	log := newOnStoredLog()
	s, _ := backends[1].open(t, "", Config{MemTableSize: 1, MaxBatch: 512, OnStored: log.add})
	g := groupID("big")
	var ms []*message.Message
	for i := range 150 {
		// 15 KiB each: a batch of 512 is about 7 MiB, a transaction at a
		// 1 MiB memtable holds about 150 KiB.
		text := fmt.Sprintf("%d %s", i, strings.Repeat("x", 15<<10))
		ms = append(ms, sign(t, testKey, g, uint64(1+i), text))
	}
	ctx := context.Background()
	for _, m := range ms {
		if err := s.Enqueue(ctx, m, OriginGossip); err != nil {
			t.Fatal(err)
		}
	}
	mustPut(t, s, ms, OriginGossip) // waits for the queue, adds nothing
	if n, err := s.Count(g); err != nil || n != len(ms) {
		t.Errorf("count %d, %v; want %d", n, err, len(ms))
	}
	if seen, _ := log.snapshot(); len(seen) != len(ms) {
		t.Errorf("OnStored saw %d messages, want %d", len(seen), len(ms))
	}
	checkHealthy(t, s)
}

// TestGCAndLogging runs value-log collection on a store with values in the
// value log and checks that Badger's logs arrive through the configured
// logger, with its Info demoted to Debug, and that nothing went wrong.
func TestGCAndLogging(t *testing.T) {
	h := &recordingHandler{}
	s, _ := backends[0].open(t, "", Config{Logger: slog.New(h), GCInterval: time.Millisecond})
	g := groupID("gc")
	ctx := context.Background()
	for i := range 40 {
		m := sign(t, testKey, g, uint64(1+i), fmt.Sprintf("%d %s", i, strings.Repeat("y", 4<<10)))
		if _, err := s.PutOwn(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveOutbox(m.ID); err != nil {
			t.Fatal(err)
		}
	}
	s.collectGarbage()
	checkHealthy(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.badgerDebug == 0 {
		t.Error("no Badger log reached the logger")
	}
	if h.badgerInfo > 0 {
		t.Errorf("%d Badger logs at Info, want them at Debug", h.badgerInfo)
	}
	for _, r := range h.problems {
		t.Errorf("logged: %s", r)
	}
}

// recordingHandler counts what a store logs.
type recordingHandler struct {
	mu                      sync.Mutex
	attrs                   []slog.Attr
	badgerDebug, badgerInfo int
	problems                []string
	parent                  *recordingHandler
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	root := h
	for root.parent != nil {
		root = root.parent
	}
	root.mu.Lock()
	defer root.mu.Unlock()
	badger := false
	for _, a := range h.attrs {
		badger = badger || (a.Key == "lib" && a.Value.String() == "badger")
	}
	switch {
	case r.Level >= slog.LevelWarn:
		root.problems = append(root.problems, r.Level.String()+" "+r.Message)
	case badger && r.Level == slog.LevelDebug:
		root.badgerDebug++
	case badger && r.Level == slog.LevelInfo:
		root.badgerInfo++
	}
	return nil
}

func (h *recordingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &recordingHandler{attrs: append(append([]slog.Attr{}, h.attrs...), as...), parent: h}
}

func (h *recordingHandler) WithGroup(string) slog.Handler { return h }

// TestEnqueueKeepsMessage: Enqueue stores and reports the message it was
// handed, not a second decoding of its envelope, while Put decodes its own
// copy.
func TestEnqueueKeepsMessage(t *testing.T) {
	got := make(chan *message.Message, 2)
	s, _ := backends[1].open(t, "", Config{OnStored: func(sts []Stored) {
		for _, st := range sts {
			got <- st.Msg
		}
	}})
	g := groupID("keep")
	queued, put := sign(t, testKey, g, 1, "queued"), sign(t, testKey, g, 2, "put")
	ctx := context.Background()
	if err := s.Enqueue(ctx, queued, OriginGossip); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m != queued {
		t.Errorf("OnStored had another copy of the queued message (%p, not %p)", m, queued)
	}
	mustPut(t, s, []*message.Message{put}, OriginCatchup)
	if m := <-got; m == put || m.ID != put.ID {
		t.Errorf("OnStored had %p (%s) for Put's %p (%s), want its own decoding", m, m.ID.Short(), put, put.ID.Short())
	}
}
