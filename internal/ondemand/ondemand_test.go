package ondemand

import "testing"

// Wake starts the loop once; while it runs, wakes only kick it; Idle ends
// it only when no kick came since, and the next Wake starts it again.
func TestWorker(t *testing.T) {
	w := New(false)
	starts := 0
	start := func() { starts++ }
	w.Wake(start)
	w.Wake(start)
	w.Wake(start)
	if starts != 1 || !w.Running() {
		t.Fatalf("three wakes: %d starts, running %v; want 1, true", starts, w.Running())
	}
	if w.Idle() {
		t.Fatal("Idle ended the loop though a wake kicked it since")
	}
	if !w.Idle() || w.Running() {
		t.Fatal("Idle with no kick since did not end the loop")
	}
	if w.Claim() != true || w.Claim() != false {
		t.Fatal("Claim: want true for a stopped loop, then false")
	}
	if !w.Idle() {
		t.Fatal("Idle did not end the claimed run")
	}
	w.Wake(start)
	if starts != 2 {
		t.Fatalf("a wake after the loop ended: %d starts, want 2", starts)
	}
}

// New(true) is a loop its owner starts: wakes until then wait as kicks.
func TestClaimed(t *testing.T) {
	w := New(true)
	w.Wake(func() { t.Fatal("a claimed loop was started by Wake") })
	select {
	case <-w.Kicks():
	default:
		t.Fatal("the wake left no kick")
	}
}
