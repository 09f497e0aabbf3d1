package sim

import (
	"cmp"
	"context"
	"io"
	"slices"
	"sync"
	"time"

	"starling/sim/report"
)

// timeline plays a plan against a running stack: it sends each message,
// takes nodes offline and back, splits and heals the network and starts
// and stops the attacks, each at its time since the run's origin.
type timeline struct {
	p       *plan
	f       fleet
	actions []action
	// sentAt[i] is when message i's send started and sent[i] whether it
	// succeeded; each is written by its message's send goroutine only and
	// read after they have all ended.
	sentAt []time.Duration
	sent   []bool
	// peak is the largest live heap plus goroutine stacks seen once a
	// simulated second, and peakAt when; written by sampleMemory only,
	// read after run returns.
	peak   int64
	peakAt time.Duration
}

// action is a change of state, run on the timeline's goroutine, or (do
// nil) the send of planned message msg, on a goroutine of its own.
type action struct {
	at  time.Duration
	do  func()
	msg int
}

func newTimeline(p *plan, w *world, f fleet, atk *attackers) *timeline {
	tl := &timeline{p: p, f: f, sentAt: make([]time.Duration, len(p.msgs)), sent: make([]bool, len(p.msgs))}
	add := func(at time.Duration, do func()) { tl.actions = append(tl.actions, action{at: at, do: do}) }
	end := p.sc.Duration.D()
	for i, ws := range p.offline {
		for _, win := range ws {
			add(win.From, func() { w.setOnline(i, false) })
			if win.To < end {
				add(win.To, func() { w.setOnline(i, true) })
			}
		}
	}
	for k, pt := range p.parts {
		add(pt.At, func() { w.setPartition(k + 1) })
		add(pt.Heal, func() { w.setPartition(0) })
	}
	for k, pa := range p.attacks {
		add(pa.Start.D(), func() { atk.begin(k) })
		add(pa.Stop.D(), func() { atk.end(k) })
	}
	for _, m := range p.msgs {
		tl.actions = append(tl.actions, action{at: m.At, msg: m.Index})
	}
	slices.SortStableFunc(tl.actions, func(a, b action) int { return cmp.Compare(a.at, b.at) })
	return tl
}

// run plays the timeline from origin until the scenario's duration has
// passed, then waits for the sends still in flight (cancelling them).
// With progress set it writes a progress line every simulated second.
func (tl *timeline) run(ctx context.Context, origin time.Time, progress io.Writer) error {
	sendCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	wg.Go(func() { tl.sampleMemory(sendCtx, origin) })
	if progress != nil {
		prog := report.NewProgressClock(progress, tl.p.sc.Duration.D(), wallClock)
		wg.Go(func() { tl.progress(sendCtx, origin, prog) })
	}
	for _, a := range tl.actions {
		if !sleepUntil(ctx, origin.Add(a.at)) {
			return ctx.Err()
		}
		if a.do != nil {
			a.do()
			continue
		}
		m := tl.p.msgs[a.msg]
		wg.Go(func() {
			tl.sentAt[m.Index] = time.Since(origin)
			tl.sent[m.Index] = tl.f.send(sendCtx, m) == nil
		})
	}
	if !sleepUntil(ctx, origin.Add(tl.p.sc.Duration.D())) {
		return ctx.Err()
	}
	return nil
}

func (tl *timeline) progress(ctx context.Context, origin time.Time, prog *report.Progress) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			prog.Update(time.Since(origin), tl.f.delivered())
			prog.Done()
			return
		case <-t.C:
			prog.Update(time.Since(origin), tl.f.delivered())
		}
	}
}

// sampleMemory keeps the peak of the live heap (as of the last garbage
// collection) plus goroutine stacks, read once a simulated second: the
// floor that no garbage collector setting gets the process's memory under.
func (tl *timeline) sampleMemory(ctx context.Context, origin time.Time) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if m := liveHeap() + stacksInUse(); m > tl.peak {
			tl.peak, tl.peakAt = m, time.Since(origin)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sleepUntil waits until t or until ctx ends; it reports whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	if d := time.Until(t); d > 0 {
		return sleepCtx(ctx, d)
	}
	return ctx.Err() == nil
}

// wallClock is the machine's clock, which a synctest bubble's virtual time
// leaves alone (see wallNow), as a time.Time for report.Progress.
func wallClock() time.Time { return time.Time{}.Add(wallNow()) }

// sleepCtx waits d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
