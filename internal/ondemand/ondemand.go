// Package ondemand keeps a worker goroutine only while it has work. A
// background loop that mostly waits for a kick holds a goroutine, and its
// stack, for the node's whole life; the simulator runs thousands of nodes.
// With a Worker, Wake kicks the loop if it runs and starts it if not, and
// the loop ends when Idle finds no kick since it last looked at its work.
package ondemand

import "sync"

// Worker is one loop's state. The zero value is not ready; use New.
//
// A loop must end through Idle. One that ends otherwise (its context
// done), or a Wake whose start runs nothing (its owner closing), leaves
// the Worker marked running for good: fine for a loop on its owner's
// lifetime context, as the node's and the alert service's are.
type Worker struct {
	mu   sync.Mutex
	on   bool // the loop runs, or is about to
	kick chan struct{}
}

// New returns a Worker; claimed: the owner starts the loop's first run
// itself (Claim is then not needed), and kicks until then only wait in
// Kicks.
func New(claimed bool) *Worker {
	return &Worker{on: claimed, kick: make(chan struct{}, 1)}
}

// Kicks is what a running loop waits on, besides its own timers: a kick
// means there may be work.
func (w *Worker) Kicks() <-chan struct{} { return w.kick }

// Wake kicks the loop if it runs; if not, it marks it running and calls
// start, which must run it (on a goroutine of its own).
func (w *Worker) Wake(start func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.on {
		select {
		case w.kick <- struct{}{}:
		default:
		}
		return
	}
	w.on = true
	start()
}

// Claim marks the loop running for a caller about to run it; false when it
// already runs.
func (w *Worker) Claim() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.on {
		return false
	}
	w.on = true
	return true
}

// Idle ends the loop's run unless a kick came since it last looked at its
// work: it reports whether the loop must return (true) or look again.
func (w *Worker) Idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.kick:
		return false
	default:
		w.on = false
		return true
	}
}

// Running reports whether the loop runs or is about to.
func (w *Worker) Running() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.on
}
