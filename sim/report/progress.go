package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progressInterval is the least wall time between two progress lines.
const progressInterval = 500 * time.Millisecond

// Progress shows a long run's progress as one line,
//
//	sim 12.3 s / 60 s (20%)  ·  deliveries 12,345  ·  wall 4.1 s  ·  16.0 s left
//
// rewritten in place (carriage return) when w is a terminal, and as plain
// lines otherwise, at most once every 500 ms of wall time however often
// Update is called. Its methods are safe for concurrent use, and a nil
// *Progress does nothing, so a caller can pass nil for --quiet. Write errors
// are ignored: progress is best effort.
type Progress struct {
	mu        sync.Mutex
	w         io.Writer
	total     time.Duration
	tty       bool
	now       func() time.Time // the wall clock; tests replace it
	start     time.Time
	last      time.Time // when a line was last written; zero before the first
	width     int       // runes of the last line on a terminal, to blank it out
	simNow    time.Duration
	delivered int
	done      bool
}

// NewProgress returns a Progress that writes to w (usually os.Stderr) for a
// run of total simulated time; total 0 means unknown.
func NewProgress(w io.Writer, total time.Duration) *Progress {
	return NewProgressClock(w, total, time.Now)
}

// NewProgressClock is NewProgress with the wall clock given: inside a
// testing/synctest bubble time.Now is the simulated clock, so a simulator
// running there passes one that reads the machine's.
func NewProgressClock(w io.Writer, total time.Duration, wall func() time.Time) *Progress {
	p := &Progress{w: w, total: total, tty: isTerminal(w), now: wall}
	p.start = p.now()
	return p
}

// Update records the simulated time reached and the deliveries so far, and
// writes a line if the last one is at least 500 ms old.
func (p *Progress) Update(simNow time.Duration, delivered int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.simNow, p.delivered = simNow, delivered
	if now := p.now(); p.last.IsZero() || now.Sub(p.last) >= progressInterval {
		p.last = now
		p.writeLocked()
	}
}

// Done writes the final state and ends the line. Later calls to Update and
// Done do nothing.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	p.writeLocked()
	if p.tty {
		io.WriteString(p.w, "\n")
	}
}

// writeLocked writes the current state: over the previous line on a
// terminal, as a new line otherwise.
func (p *Progress) writeLocked() {
	s := p.lineLocked()
	if !p.tty {
		io.WriteString(p.w, s+"\n")
		return
	}
	n := len([]rune(s))
	pad := strings.Repeat(" ", max(0, p.width-n)) // blank what a longer line left
	p.width = n
	io.WriteString(p.w, "\r"+s+pad)
}

func (p *Progress) lineLocked() string {
	sim := "sim " + seconds(p.simNow, 1)
	if p.total > 0 {
		share := min(100, max(0, int(100*p.simNow.Seconds()/p.total.Seconds())))
		sim += fmt.Sprintf(" / %s (%d%%)", seconds(p.total, -1), share)
	}
	wall := p.now().Sub(p.start)
	line := fmt.Sprintf("%s  ·  deliveries %s  ·  wall %s", sim, count(p.delivered), seconds(wall, 1))
	if p.total > 0 && p.simNow > 0 && p.simNow < p.total && !p.done {
		left := time.Duration(float64(wall) * float64(p.total-p.simNow) / float64(p.simNow))
		line += "  ·  " + seconds(left, 1) + " left"
	}
	return line
}

// seconds formats d in seconds to a tenth: with decimals 1 always one
// decimal ("12.0 s", steady while it counts up), with -1 only if needed
// ("60 s").
func seconds(d time.Duration, decimals int) string {
	return strconv.FormatFloat(math.Round(d.Seconds()*10)/10, 'f', decimals, 64) + " s"
}

// isTerminal reports whether w is a terminal, where a line can be rewritten.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}
