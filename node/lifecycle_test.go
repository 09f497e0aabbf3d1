package node_test

import (
	"context"
	"errors"
	"testing"

	"starling/node"
	"starling/store"
)

func TestNewRejectsIncompleteConfig(t *testing.T) {
	t.Parallel()
	for name, edit := range map[string]func(*node.Config){
		"no user":          func(c *node.Config) { c.User = nil },
		"no transport key": func(c *node.Config) { c.TransportKey = nil },
	} {
		cfg := nodeConfig(t, "eve")
		edit(&cfg)
		if n, err := node.New(cfg); err == nil {
			n.Close()
			t.Errorf("%s: New succeeded", name)
		}
	}
}

// Close releases a node that never ran, after which Run refuses; Run runs
// only once; a second node on the same directory fails with ErrLocked.
func TestRunAndClose(t *testing.T) {
	t.Parallel()
	cfg := nodeConfig(t, "eve")
	cfg.StoreDir = t.TempDir()
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	second, err := node.New(cfg)
	if err == nil {
		second.Close()
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("a second node on the same store: %v, want %v", err, store.ErrLocked)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := n.Run(context.Background()); !errors.Is(err, node.ErrClosed) {
		t.Errorf("Run after Close = %v, want %v", err, node.ErrClosed)
	}

	// The directory is free again.
	n, err = node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Of two concurrent Runs, one runs and the other refuses at once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 2)
	for range 2 {
		go func() { done <- n.Run(ctx) }()
	}
	if err := <-done; !errors.Is(err, node.ErrClosed) {
		t.Errorf("one of two Runs = %v, want %v", err, node.ErrClosed)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v after its context ended, want nil", err)
	}
}
