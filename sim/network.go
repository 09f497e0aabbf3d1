package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/marcopolo/simnet"

	"starling/sim/memnet"
	"starling/sim/streamnet"
)

// world is the simulated network of one run: the streams (or simnet's
// links and router, for QUIC), and the state the timeline changes (who is
// online, which partition stands). What cannot pass is held on the streams
// (or, as packets, dropped as they leave and as they arrive), so a node
// that goes offline or behind a partition stops hearing what is already on
// the wire too. That is the whole fault model: connections then time out,
// redial and recover as they would on a real network.
type world struct {
	p *plan
	// One of the two is set (link.transport): streams, or QUIC over
	// simnet's packets.
	streams *streamnet.Network
	nw      *simnet.Simnet
	byAddr  map[netip.AddrPort]int
	online  []atomic.Bool
	// part is the active partition's index plus one; 0 for none.
	part  atomic.Int32
	conns []atomic.Pointer[conn]
	// jitter is drawn on simnet's router goroutine or under the
	// streams' lock, one draw at a time.
	jitter *rand.Rand
}

func newWorld(p *plan) *world {
	w := &world{
		p:      p,
		byAddr: make(map[netip.AddrPort]int, len(p.nodes)),
		online: make([]atomic.Bool, len(p.nodes)),
		conns:  make([]atomic.Pointer[conn], len(p.nodes)),
		jitter: rngFor(p.seed, "jitter"),
	}
	for _, n := range p.nodes {
		w.byAddr[n.Addr] = n.Index
		w.online[n.Index].Store(p.online(n.Index, 0))
	}
	base, jitter := p.sc.Link.Latency.D(), p.sc.Link.Jitter.D()
	latency := func() time.Duration {
		if jitter <= 0 {
			return base
		}
		return base + time.Duration(w.jitter.Int64N(int64(jitter)+1))
	}
	if p.sc.Link.Transport != TransportQUIC {
		w.streams = streamnet.New(streamnet.Config{
			Pass: w.pass, Latency: latency, BaseLatency: base,
			Loss: p.sc.Link.Loss, Seed: uint64(rngFor(p.seed, "loss").Int64()),
		})
		return w
	}
	w.nw = &simnet.Simnet{
		LatencyFunc: func(*simnet.Packet) time.Duration { return latency() },
		// simnet logs every packet it cannot route at Error; ours are
		// dropped on purpose by the filters below.
		Logger: slog.New(slog.DiscardHandler),
	}
	w.nw.Start()
	return w
}

// close stops simnet's goroutines.
func (w *world) close() {
	if w.nw != nil {
		w.nw.Close()
	}
}

// setOnline and setPartition change who reaches whom.
func (w *world) setOnline(i int, on bool) {
	w.online[i].Store(on)
	w.changed()
}

func (w *world) setPartition(k int) {
	w.part.Store(int32(k))
	w.changed()
}

// changed tells the streams that pass answers differently (packets are
// filtered one by one; they need no telling).
func (w *world) changed() {
	if w.streams != nil {
		w.streams.Changed()
	}
}

// pass reports whether a packet from a to b gets through now.
func (w *world) pass(a, b int) bool {
	if !w.online[a].Load() || !w.online[b].Load() {
		return false
	}
	if k := w.part.Load(); k > 0 {
		if pt := w.p.parts[k-1]; pt.First[a] != pt.First[b] {
			return false
		}
	}
	return w.p.reach.linked(a, b)
}

func (w *world) index(addr net.Addr) (int, bool) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, false
	}
	ap := ua.AddrPort()
	i, ok := w.byAddr[netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())]
	return i, ok
}

// traffic returns the bytes node i received and sent: UDP packets', or
// the streams' frames with streamnet.FrameOverhead each.
func (w *world) traffic(i int) (in, out int64) {
	if w.streams != nil {
		return w.streams.Traffic(i)
	}
	if c := w.conns[i].Load(); c != nil {
		return c.in.Load(), c.out.Load()
	}
	return 0, 0
}

func (w *world) linkSettings(i int) simnet.NodeBiDiLinkSettings {
	bw := w.bandwidth(i)
	return simnet.NodeBiDiLinkSettings{
		Downlink: simnet.LinkSettings{BitsPerSecond: bw},
		Uplink:   simnet.LinkSettings{BitsPerSecond: bw},
	}
}

// bandwidth is node i's link rate each way.
func (w *world) bandwidth(i int) int {
	if w.p.isRelay(i) {
		return int(w.p.sc.Link.RelayBandwidth)
	}
	return int(w.p.sc.Link.Bandwidth)
}

// transports are the libp2p options that put node i on this world: the
// streams, or QUIC only on its simulated endpoint (see memnet.Options,
// which also explains why yamux runs without its keepalive here).
func (w *world) transports(i int) []libp2p.Option {
	own := w.p.nodes[i].Addr
	if w.streams != nil {
		return append(memnet.Common(), w.streams.Transport(i, own, w.bandwidth(i)))
	}
	return memnet.Options(func(addr *net.UDPAddr) (net.PacketConn, error) {
		ap := addr.AddrPort()
		if netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()) != own {
			return nil, fmt.Errorf("listen on %s: %w (%s)", addr, errNotOwnAddr, own)
		}
		c := &conn{SimConn: w.nw.NewEndpoint(addr, w.linkSettings(i)), w: w, self: i,
			loss: w.p.sc.Link.Loss, rng: rngFor(w.p.seed, fmt.Sprintf("loss/%d", i))}
		w.conns[i].Store(c)
		return c, nil
	})
}

var errNotOwnAddr = errors.New("a simulated node sends only from its listen address")

// conn is a node's endpoint: simnet's, with the world's filters, random
// loss and byte counters.
type conn struct {
	*simnet.SimConn
	w       *world
	self    int
	in, out atomic.Int64

	loss float64
	mu   sync.Mutex
	rng  *rand.Rand
}

func (c *conn) lost() bool {
	if c.loss <= 0 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rng.Float64() < c.loss
}

// WriteTo sends a packet unless the world drops it, which the sender, as
// on a real network, cannot tell.
func (c *conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	to, ok := c.w.index(addr)
	if !ok || !c.w.pass(c.self, to) || c.lost() {
		return len(b), nil
	}
	c.out.Add(int64(len(b)))
	return c.SimConn.WriteTo(b, addr)
}

// ReadFrom returns the next packet that may still arrive.
func (c *conn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.SimConn.ReadFrom(b)
		if err != nil {
			return n, addr, err
		}
		if from, ok := c.w.index(addr); ok && c.w.pass(from, c.self) {
			c.in.Add(int64(n))
			return n, addr, nil
		}
	}
}
