package streamnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/connmgr"
	ic "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	tpt "github.com/libp2p/go-libp2p/core/transport"
	"github.com/libp2p/go-libp2p/p2p/transport/quicreuse"
	ma "github.com/multiformats/go-multiaddr"
)

// Transport returns the libp2p option that puts a host on n: the host
// with this handle (Config.Pass's), whose one address is addr, on a link
// of bitsPerSecond each way (0: unlimited). Its multiaddrs are QUIC's
// (/ip4/A/udp/P/quic-v1), so that a simulation's addresses, dial ranking
// and reports read as they do over QUIC.
//
// The host opens no UDP socket, so its QUIC connection manager (which
// libp2p builds for every host) shares none: without reuse it starts no
// garbage collector goroutines, two a host otherwise.
func (n *Network) Transport(handle int, addr netip.AddrPort, bitsPerSecond int) libp2p.Option {
	ep := n.endpoint(handle, addr, bitsPerSecond)
	return libp2p.ChainOptions(
		libp2p.Transport(func(key ic.PrivKey, gater connmgr.ConnectionGater, rcmgr network.ResourceManager) (tpt.Transport, error) {
			id, err := peer.IDFromPrivateKey(key)
			if err != nil {
				return nil, err
			}
			return &transport{n: n, ep: ep, id: id, key: key.GetPublic(), addr: Multiaddr(addr), gater: gater, rcmgr: rcmgr}, nil
		}),
		libp2p.QUICReuse(quicreuse.NewConnManager, quicreuse.DisableReuseport()),
	)
}

// Multiaddr is a host's address as the transport writes it.
func Multiaddr(addr netip.AddrPort) ma.Multiaddr {
	ip := "ip4"
	if addr.Addr().Is6() {
		ip = "ip6"
	}
	return ma.StringCast(fmt.Sprintf("/%s/%s/udp/%d/quic-v1", ip, addr.Addr(), addr.Port()))
}

// parse returns the address of a multiaddr the transport dials.
func parse(a ma.Multiaddr) (netip.AddrPort, bool) {
	if len(a) != 3 || a[2].Code() != ma.P_QUIC_V1 || a[1].Code() != ma.P_UDP {
		return netip.AddrPort{}, false
	}
	if c := a[0].Code(); c != ma.P_IP4 && c != ma.P_IP6 {
		return netip.AddrPort{}, false
	}
	ip, err := netip.ParseAddr(a[0].Value())
	if err != nil {
		return netip.AddrPort{}, false
	}
	port, err := strconv.ParseUint(a[1].Value(), 10, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip, uint16(port)), true
}

type transport struct {
	n     *Network
	ep    *endpoint
	id    peer.ID
	key   ic.PubKey
	addr  ma.Multiaddr
	gater connmgr.ConnectionGater
	rcmgr network.ResourceManager
}

var _ tpt.Transport = (*transport)(nil)

func (t *transport) CanDial(a ma.Multiaddr) bool { _, ok := parse(a); return ok }
func (t *transport) Protocols() []int            { return []int{ma.P_QUIC_V1} }
func (t *transport) Proxy() bool                 { return false }
func (t *transport) String() string              { return "streamnet" }

// Errors a dial may end with.
var (
	ErrNoAnswer     error = &timeoutError{"streamnet: no answer (handshake timeout)"}
	ErrPeerMismatch       = errors.New("streamnet: the host at the address is another peer")
	ErrRefused            = errors.New("streamnet: refused by the dialled host")
)

func (t *transport) Dial(ctx context.Context, raddr ma.Multiaddr, p peer.ID) (tpt.CapableConn, error) {
	ap, ok := parse(raddr)
	if !ok {
		return nil, fmt.Errorf("streamnet: cannot dial %s", raddr)
	}
	scope, err := t.rcmgr.OpenConnection(network.DirOutbound, false, raddr)
	if err != nil {
		return nil, err
	}
	if err := scope.SetPeer(p); err != nil {
		scope.Done()
		return nil, err
	}
	c, err := t.dial(ctx, ap, raddr, p, scope)
	if err != nil {
		scope.Done()
		return nil, fmt.Errorf("dial %s: %w", raddr, err)
	}
	return c, nil
}

// handshakeProbes are when, from a dial's start, QUIC sends its first
// packet and sends it again while no answer comes: quic-go's probe timeout
// before any round trip is measured is 200 ms, doubling each time. The
// next (6.2 s) comes after the HandshakeTimeout.
var handshakeProbes = [...]time.Duration{0, 200 * time.Millisecond, 600 * time.Millisecond, 1400 * time.Millisecond, 3 * time.Second}

// dial makes the connection: a round trip to a listener that answers, as
// QUIC's handshake takes; nothing and a timeout when none does. A dial
// across a cut gets through at its first probe after the cut heals.
func (t *transport) dial(ctx context.Context, ap netip.AddrPort, raddr ma.Multiaddr, p peer.ID, scope network.ConnManagementScope) (*conn, error) {
	started := time.Now()
	l, err := t.answered(ctx, ap, started)
	if l == nil {
		return nil, err
	}
	if p != "" && l.t.id != p {
		return nil, fmt.Errorf("%w: dialled %s, found %s", ErrPeerMismatch, p, l.t.id)
	}

	// The listener's end, as its transport would accept it.
	rscope, err := l.t.rcmgr.OpenConnection(network.DirInbound, false, t.addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	if err := rscope.SetPeer(t.id); err != nil {
		rscope.Done()
		return nil, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	a, b := newConn(t, scope, false), newConn(l.t, rscope, true)
	a.remote.id, a.remote.key, a.remote.addr = l.t.id, l.t.key, l.Multiaddr()
	b.remote.id, b.remote.key, b.remote.addr = t.id, t.key, t.addr
	b.local = l.Multiaddr() // its port, for a listen on port 0
	if g := l.t.gater; g != nil && !(g.InterceptAccept(b) && g.InterceptSecured(network.DirInbound, t.id, b)) {
		rscope.Done()
		return nil, fmt.Errorf("%w: gated", ErrRefused)
	}
	if t.gater != nil && !t.gater.InterceptSecured(network.DirOutbound, l.t.id, a) {
		rscope.Done()
		return nil, errors.New("streamnet: secured connection gated")
	}
	pair(t.n, a, b)
	if !l.offer(b) {
		// a was never handed out: Dial releases its scope.
		b.shut(ErrConnClosed)
		a.out.stop()
		b.out.stop()
		return nil, fmt.Errorf("%w: its accept queue is full", ErrRefused)
	}
	return a, nil
}

// answered sends the handshake's probes to the listener at ap until one
// gets there and its answer back: it returns that listener, or nil and
// ErrNoAnswer at the HandshakeTimeout (or ctx's error).
func (t *transport) answered(ctx context.Context, ap netip.AddrPort, started time.Time) (*listener, error) {
	for _, at := range handshakeProbes {
		if err := wait(ctx, at-time.Since(started), nil); err != nil {
			return nil, err
		}
		l := t.n.listenerAt(ap)
		if l == nil || !t.reaches(l) {
			continue
		}
		if err := wait(ctx, t.n.delay(t.ep)+t.n.delay(l.ep), nil); err != nil {
			return nil, err
		}
		if !l.isClosed() && t.reaches(l) { // not closed or cut off during the round trip
			return l, nil
		}
	}
	return nil, wait(ctx, HandshakeTimeout-time.Since(started), ErrNoAnswer)
}

// reaches reports whether the path to l and back is open.
func (t *transport) reaches(l *listener) bool {
	return t.n.pass(t.ep.handle, l.ep.handle) && t.n.pass(l.ep.handle, t.ep.handle)
}

// wait waits d or until ctx ends, then returns err (ctx's if it ended).
func wait(ctx context.Context, d time.Duration, err error) error {
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

func (t *transport) Listen(laddr ma.Multiaddr) (tpt.Listener, error) {
	ap, ok := parse(laddr)
	if !ok || ap.Addr() != t.ep.addr.Addr() || (ap.Port() != 0 && ap.Port() != t.ep.addr.Port()) {
		return nil, fmt.Errorf("streamnet: listen on %s: this host's only address is %s (or port 0 of its IP)", laddr, t.addr)
	}
	l := &listener{t: t, ep: t.ep, addr: ap, conns: make(chan *conn, maxStreams), closed: make(chan struct{})}
	t.n.listen(l)
	return l, nil
}

type listener struct {
	t      *transport
	ep     *endpoint
	addr   netip.AddrPort // the host's, or the port a listen on port 0 got
	maddr  ma.Multiaddr   // addr's, made once in Network.listen
	conns  chan *conn
	closed chan struct{}

	mu   sync.Mutex // over offer and Close
	done bool
}

func (l *listener) offer(c *conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return false
	}
	select {
	case l.conns <- c:
		return true
	default:
		return false
	}
}

func (l *listener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.done
}

func (l *listener) Accept() (tpt.CapableConn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, tpt.ErrListenerClosed
	}
}

// Close stops listening; connections it had not handed out yet close.
func (l *listener) Close() error {
	l.mu.Lock()
	if l.done {
		l.mu.Unlock()
		return nil
	}
	l.done = true
	close(l.closed)
	l.mu.Unlock()
	l.t.n.unlisten(l)
	for {
		select {
		case c := <-l.conns:
			c.Close()
		default:
			return nil
		}
	}
}

func (l *listener) Addr() net.Addr {
	return net.UDPAddrFromAddrPort(l.addr)
}

func (l *listener) Multiaddr() ma.Multiaddr { return l.maddr }
