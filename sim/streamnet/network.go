// Package streamnet is a libp2p transport for simulations: connections
// between hosts of one process whose streams are in-memory queues that the
// network delivers after each link's latency and bandwidth, on whatever
// clock runs (virtual time inside a testing/synctest bubble).
//
// It stands in for QUIC over a simulated packet network (package memnet)
// when a simulation must hold thousands of hosts: there is no packet
// framing, encryption, congestion control or per-connection goroutine,
// which were most of a simulated node's CPU and a third of its memory.
// What it keeps of a real connection:
//   - a dial takes a round trip; the dialled host must listen, be reachable
//     and be the peer the dialler asked for, and its resource manager and
//     connection gater decide as they would;
//   - bytes leave through the sender's uplink and arrive through the
//     receiver's downlink at their bandwidths, after the link's latency;
//     each stream's bytes arrive in order, streams do not wait on each
//     other; a write waits while more than SendBuffer of the sender's
//     uplink is queued (a socket's send buffer);
//   - a lost packet (Config.Loss) arrives one retransmission timeout late;
//   - while a path is cut (Config.Pass says no: a node offline, a
//     partition) what is sent on it waits, and a connection cut for
//     IdleTimeout dies at both ends, as a QUIC connection's idle timeout
//     kills it; a dial across a cut gets through at the first of QUIC's
//     handshake probes (200 ms apart, doubling) after the cut heals, and
//     fails after HandshakeTimeout if none does;
//   - closing a connection or resetting a stream reaches the other end one
//     latency later, if the path is open; a closed connection's streams
//     fail with libp2p's network.ConnError (its code, local or remote), as
//     over QUIC;
//   - a write deadline set while a write waits ends it, as QUIC's does.
//
// Every frame (data, or a stream's opening, end or reset) counts its bytes
// plus FrameOverhead, roughly what IP, UDP and QUIC add to a packet.
//
// It must not be imported by code that runs outside simulations and tests.
package streamnet

import (
	"cmp"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Timeouts of the connections, those of libp2p's QUIC (quic-go's
// defaults as libp2p configures them).
const (
	HandshakeTimeout = 5 * time.Second
	IdleTimeout      = 30 * time.Second
)

// SendBuffer is how much of its uplink's time a sender may have queued
// before a write waits: what a socket's send buffer holds.
const SendBuffer = 100 * time.Millisecond

// FrameOverhead is the bytes each frame counts beyond its payload.
const FrameOverhead = 64

// Config is what the network asks of its user, the simulated world.
type Config struct {
	// Pass reports whether bytes from the host with handle from reach the
	// host with handle to now (see Network.Transport). Its answer may
	// change only before a call of Network.Changed. Nil: always.
	Pass func(from, to int) bool
	// Latency returns one frame's one-way latency, jitter included.
	// It is called with the network's lock held, from one goroutine at a
	// time.
	Latency func() time.Duration
	// Loss is the share of frames lost once and sent again one
	// retransmission timeout later (twice the base latency plus 25 ms).
	Loss float64
	// BaseLatency is the latency without jitter, for the retransmission
	// timeout.
	BaseLatency time.Duration
	// Seed seeds the loss draws.
	Seed uint64
}

// Network is one simulated network. Its zero value is not usable; call New.
type Network struct {
	cfg Config

	mu        sync.Mutex
	listeners map[netip.AddrPort][]*listener // the last one answers
	ephemeral uint16                         // the last port given to a listen on port 0
	paths     map[*path]struct{}
	made      uint64 // paths made so far, to number them

	hosts sync.Map // handle (int) → *endpoint
}

// New returns an empty network.
func New(cfg Config) *Network {
	if cfg.Latency == nil {
		cfg.Latency = func() time.Duration { return cfg.BaseLatency }
	}
	return &Network{
		cfg:       cfg,
		listeners: map[netip.AddrPort][]*listener{},
		paths:     map[*path]struct{}{},
	}
}

// endpoint is one host's attachment: its handle, address, the two
// directions of its link and its byte counters.
type endpoint struct {
	handle   int
	addr     netip.AddrPort
	up, down link
	in, out  atomic.Int64

	lossMu sync.Mutex
	loss   *rand.Rand // draws for the frames it sends, its own so that runs repeat
}

// link is one direction of a host's access link: frames go through it one
// after the other at its rate.
type link struct {
	mu     sync.Mutex
	bps    int
	freeAt time.Time
}

// reserve queues size bytes that reach the link at t and returns when they
// have gone through it.
func (l *link) reserve(t time.Time, size int) time.Time {
	if l.bps <= 0 {
		return t
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.freeAt.Before(t) {
		l.freeAt = t
	}
	l.freeAt = l.freeAt.Add(time.Duration(int64(size) * 8 * int64(time.Second) / int64(l.bps)))
	return l.freeAt
}

// endpoint returns the attachment of the host with this handle, made on
// first use.
func (n *Network) endpoint(handle int, addr netip.AddrPort, bps int) *endpoint {
	e := &endpoint{handle: handle, addr: addr, up: link{bps: bps}, down: link{bps: bps},
		loss: rand.New(rand.NewPCG(n.cfg.Seed, uint64(handle)))}
	if old, loaded := n.hosts.LoadOrStore(handle, e); loaded {
		e = old.(*endpoint)
	}
	return e
}

// Traffic returns the bytes the host with this handle received and sent.
func (n *Network) Traffic(handle int) (in, out int64) {
	if v, ok := n.hosts.Load(handle); ok {
		e := v.(*endpoint)
		return e.in.Load(), e.out.Load()
	}
	return 0, 0
}

func (n *Network) pass(from, to int) bool {
	return n.cfg.Pass == nil || n.cfg.Pass(from, to)
}

// delay draws the latency of a frame from e: the link's, plus a
// retransmission timeout if it is lost.
func (n *Network) delay(e *endpoint) time.Duration {
	n.mu.Lock()
	d := n.cfg.Latency()
	n.mu.Unlock()
	if n.cfg.Loss > 0 {
		e.lossMu.Lock()
		lost := e.loss.Float64() < n.cfg.Loss
		e.lossMu.Unlock()
		if lost {
			d += 2*n.cfg.BaseLatency + 25*time.Millisecond
		}
	}
	return d
}

// Changed tells the network that Pass may answer differently now: paths
// that are cut start their idle timeout, paths that are open again deliver
// what waited on them.
func (n *Network) Changed() {
	n.mu.Lock()
	paths := make([]*path, 0, len(n.paths))
	for p := range n.paths {
		paths = append(paths, p)
	}
	n.mu.Unlock()
	// In the order they were made, not the map's, so that runs repeat.
	slices.SortFunc(paths, func(a, b *path) int { return cmp.Compare(a.seq, b.seq) })
	for _, p := range paths {
		p.recheck()
	}
}

func (n *Network) addPath(p *path) {
	n.mu.Lock()
	n.made++
	p.seq = n.made
	n.paths[p] = struct{}{}
	n.mu.Unlock()
}

func (n *Network) removePath(p *path) {
	n.mu.Lock()
	delete(n.paths, p)
	n.mu.Unlock()
}

// listen makes l answer dials to its address; a listener on port 0 gets
// a port no listener has, as a socket bound to port 0 does.
func (n *Network) listen(l *listener) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if l.addr.Port() == 0 {
		for {
			n.ephemeral++
			if n.ephemeral < firstEphemeral {
				n.ephemeral = firstEphemeral
			}
			a := netip.AddrPortFrom(l.addr.Addr(), n.ephemeral)
			if len(n.listeners[a]) == 0 {
				l.addr = a
				break
			}
		}
	}
	l.maddr = Multiaddr(l.addr)                          // before any dial can find l
	n.listeners[l.addr] = append(n.listeners[l.addr], l) // a restarted host takes its address over
}

// firstEphemeral is the first port a listen on port 0 gets (IANA's
// dynamic range).
const firstEphemeral = 49152

func (n *Network) unlisten(l *listener) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ls := slices.DeleteFunc(n.listeners[l.addr], func(x *listener) bool { return x == l })
	if len(ls) == 0 {
		delete(n.listeners, l.addr)
	} else {
		n.listeners[l.addr] = ls
	}
}

func (n *Network) listenerAt(addr netip.AddrPort) *listener {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ls := n.listeners[addr]; len(ls) > 0 {
		return ls[len(ls)-1]
	}
	return nil
}
