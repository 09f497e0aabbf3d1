package streamnet

import (
	"sync"
	"time"
)

// frameKind says what a frame carries.
type frameKind uint8

const (
	frameOpen  frameKind = iota // a stream opens
	frameData                   // bytes of a stream
	frameFin                    // the sender will write no more on a stream
	frameStop                   // the sender will read no more on a stream (STOP_SENDING)
	frameReset                  // a stream is reset
	frameClose                  // the connection closes
)

type frame struct {
	at     time.Time
	kind   frameKind
	stream uint64
	code   uint32
	data   []byte
}

// path is one direction of a connection: the frames on their way from one
// end (src) to the other (dst), in the order they arrive. One timer
// delivers them; while the path is cut they wait, and a path cut for
// IdleTimeout kills its connection.
type path struct {
	n        *Network
	from, to *endpoint
	dst      *conn // the receiving end
	seq      uint64

	// delivering is held while fire takes due frames and hands them
	// over, so two fires never overtake each other, and while recheck
	// looks at the path.
	delivering sync.Mutex

	mu       sync.Mutex
	queue    frames               // on the way, by arrival time
	down     frames               // arrived, going through the receiver's downlink (at: when through), in order
	last     time.Time            // the last arrival
	lastOpen time.Time            // the last stream opening's arrival
	streams  map[uint64]time.Time // each stream's last arrival, for its order
	timer    *time.Timer
	cutAt    time.Time // when the path was found cut; zero while open
	dead     bool
}

func newPath(n *Network, from, to *endpoint) *path {
	return &path{n: n, from: from, to: to, streams: map[uint64]time.Time{}}
}

// send queues f, which arrives after the sender's uplink and the latency,
// and then takes its turn on the receiver's downlink (see fire); a
// stream's frames arrive in order and a connection's close after
// everything sent before it. It returns when f has left through the
// uplink.
func (p *path) send(f frame) (left time.Time) {
	now := time.Now()
	size := len(f.data) + FrameOverhead
	p.from.out.Add(int64(size))
	left = p.from.up.reserve(now, size)
	at := left.Add(p.n.delay(p.from))

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dead {
		return left
	}
	switch f.kind {
	case frameClose:
		at = later(at, p.last)
	case frameOpen:
		// Streams open in the order of their numbers (see conn.receive).
		at = later(at, p.lastOpen)
		p.lastOpen = at
		p.streams[f.stream] = at
	default:
		at = later(at, p.streams[f.stream])
		switch f.kind {
		case frameData:
			p.streams[f.stream] = at
		case frameFin, frameReset:
			delete(p.streams, f.stream) // what follows needs no order
		} // a stop: data may follow it, in order
	}
	p.last = later(p.last, at)
	f.at = at
	if p.queue.insert(f) && p.cutAt.IsZero() {
		p.arm(now)
	}
	return left
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// arm sets the timer for the next thing the path has to do: deliver its
// first frame, or, while cut, give up at the idle timeout. Call with mu.
func (p *path) arm(now time.Time) {
	var at time.Time
	switch {
	case !p.cutAt.IsZero():
		at = p.cutAt.Add(IdleTimeout)
	case p.down.len() > 0 && (p.queue.len() == 0 || p.down.first().at.Before(p.queue.first().at)):
		at = p.down.first().at
	case p.queue.len() > 0:
		at = p.queue.first().at
	default:
		return
	}
	d := at.Sub(now)
	if p.timer == nil {
		p.timer = time.AfterFunc(d, p.fire)
	} else {
		p.timer.Reset(d)
	}
}

// fire delivers the frames that are due, or notes that the path is cut.
func (p *path) fire() {
	p.delivering.Lock()
	defer p.delivering.Unlock()
	now := time.Now()
	if !p.n.pass(p.from.handle, p.to.handle) {
		p.mu.Lock()
		if p.dead {
			p.mu.Unlock()
			return
		}
		if p.cutAt.IsZero() {
			p.cutAt = now
		}
		if now.Sub(p.cutAt) >= IdleTimeout {
			p.mu.Unlock()
			p.dst.die()
			return
		}
		p.arm(now)
		p.mu.Unlock()
		return
	}
	p.mu.Lock()
	if p.dead {
		p.mu.Unlock()
		return
	}
	p.cutAt = time.Time{}
	// Arrived frames take their turn on the receiver's downlink, which
	// the frames of every path into the host share in the order they
	// arrive.
	for p.queue.len() > 0 && !p.queue.first().at.After(now) {
		f := p.queue.pop()
		f.at = p.to.down.reserve(now, len(f.data)+FrameOverhead)
		p.down.push(f)
	}
	p.mu.Unlock()
	for {
		p.mu.Lock()
		if p.dead || p.down.len() == 0 || p.down.first().at.After(now) {
			if !p.dead {
				p.arm(now)
			}
			p.mu.Unlock()
			return
		}
		f := p.down.pop()
		p.mu.Unlock()

		p.to.in.Add(int64(len(f.data) + FrameOverhead))
		p.dst.receive(f)
		if f.kind == frameClose {
			p.stop() // the last frame a path carries
			return
		}
	}
}

// recheck looks at the path again after the network's reachability
// changed.
func (p *path) recheck() {
	// Not while fire delivers: it may have asked Pass before the change
	// and would undo what this notes.
	p.delivering.Lock()
	defer p.delivering.Unlock()
	cut := !p.n.pass(p.from.handle, p.to.handle)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dead || cut == !p.cutAt.IsZero() {
		return
	}
	now := time.Now()
	if cut {
		p.cutAt = now
		p.arm(now)
		return
	}
	// Open again: what waited arrives now, as retransmissions would.
	p.cutAt = time.Time{}
	q := p.queue.all()
	for i := range q {
		if q[i].at.Before(now) {
			q[i].at = now
		}
	}
	if p.queue.len() > 0 || p.down.len() > 0 {
		p.arm(now)
	} else if p.timer != nil {
		p.timer.Stop()
	}
}

// forgetStream drops a stream's order: this end sends no more on it.
func (p *path) forgetStream(id uint64) {
	p.mu.Lock()
	delete(p.streams, id)
	p.mu.Unlock()
}

// stop ends the path: nothing more is delivered.
func (p *path) stop() {
	p.mu.Lock()
	p.dead = true
	p.queue.reset()
	p.down.reset()
	if p.timer != nil {
		p.timer.Stop()
	}
	p.mu.Unlock()
	p.n.removePath(p)
}
