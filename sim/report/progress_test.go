package report

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a wall clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newProgress(tty bool) (*Progress, *bytes.Buffer, *fakeClock) {
	var b bytes.Buffer
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := NewProgress(&b, 60*time.Second)
	p.now, p.start, p.tty = c.now, c.t, tty
	return p, &b, c
}

func TestProgressPlainThrottles(t *testing.T) {
	p, b, clock := newProgress(false)
	p.Update(0, 0)                    // first update: printed
	clock.add(100 * time.Millisecond) // too soon
	p.Update(time.Second, 10)
	clock.add(400 * time.Millisecond) // 500 ms since the first line
	p.Update(12300*time.Millisecond, 12345)
	clock.add(499 * time.Millisecond) // too soon
	p.Update(13*time.Second, 13000)
	p.Done()
	p.Done()       // idempotent
	p.Update(0, 1) // after Done: ignored

	want := "sim 0.0 s / 60 s (0%)  ·  deliveries 0  ·  wall 0.0 s\n" +
		"sim 12.3 s / 60 s (20%)  ·  deliveries 12,345  ·  wall 0.5 s  ·  1.9 s left\n" +
		"sim 13.0 s / 60 s (21%)  ·  deliveries 13,000  ·  wall 1.0 s\n"
	if got := b.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestProgressTerminalRewritesLine(t *testing.T) {
	p, b, clock := newProgress(true)
	p.Update(59*time.Second, 1_000_000)
	clock.add(time.Second)
	p.Update(60*time.Second, 5) // shorter line: must blank the rest
	p.Done()
	out := b.String()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Errorf("want one line ended by Done, got %q", out)
	}
	parts := strings.Split(strings.TrimSuffix(out, "\n"), "\r")
	if len(parts) != 4 || parts[0] != "" { // "", first, second, Done's
		t.Fatalf("want three carriage-return updates, got %q", out)
	}
	if len([]rune(parts[2])) != len([]rune(parts[1])) {
		t.Errorf("the shorter line is not padded over the longer one: %q then %q", parts[1], parts[2])
	}
	if !strings.HasPrefix(parts[2], "sim 60.0 s / 60 s (100%)  ·  deliveries 5  ·") {
		t.Errorf("second line = %q", parts[2])
	}
}

func TestProgressUnknownTotal(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, 0)
	p.Update(1500*time.Millisecond, 2)
	p.Done()
	if got := b.String(); !strings.HasPrefix(got, "sim 1.5 s  ·  deliveries 2  ·  wall ") {
		t.Errorf("output = %q", got)
	}
}

func TestProgressNil(t *testing.T) {
	var p *Progress
	p.Update(time.Second, 1)
	p.Done()
}

func TestProgressConcurrent(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, time.Minute)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				p.Update(time.Duration(i)*time.Millisecond, g*1000+i)
			}
		})
	}
	wg.Wait()
	p.Done()
	if !strings.HasSuffix(b.String(), "\n") {
		t.Errorf("Done did not end the line")
	}
}
