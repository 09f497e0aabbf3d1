package streamnet

import (
	"context"
	"errors"
	"net"
	"sync"

	ic "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	tpt "github.com/libp2p/go-libp2p/core/transport"
	ma "github.com/multiformats/go-multiaddr"
)

// Errors of a connection that is no more.
var (
	ErrConnClosed = errors.New("streamnet: connection closed")
	errTimedOut   = &timeoutError{"streamnet: connection timed out (the path was cut for the idle timeout)"}
)

// timeoutError is a connection's timeout as quic-go gives it (its
// IdleTimeoutError and HandshakeTimeoutError): a net.Error whose Timeout
// is true, wrapping net.ErrClosed. Starling tells a slow peer from a gone
// one by it (catch-up's scheduler, netwatch's dial records).
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string   { return e.msg }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return false }
func (e *timeoutError) Unwrap() error   { return net.ErrClosed }

// maxStreams is how many streams one end may have open on a connection
// at once (libp2p's QUIC limit); OpenStream waits for a free one.
const maxStreams = 256

// conn is one end of a connection.
type conn struct {
	t      *transport
	scope  network.ConnManagementScope
	out    *path // frames to the other end
	odd    bool  // this end opens odd-numbered streams (the listener's)
	local  ma.Multiaddr
	remote struct {
		id    peer.ID
		key   ic.PubKey
		addr  ma.Multiaddr
		other *conn
	}

	// accepted tells AcceptStream that pending has a stream.
	accepted chan struct{}
	closed   chan struct{}
	slots    chan struct{} // one for each stream this end has open

	mu       sync.Mutex
	streams  map[uint64]*stream
	pending  []*stream // opened by the other end, not accepted yet
	next     uint64    // the next stream this end opens
	seen     uint64    // the highest stream number the other end opened, plus one
	err      error     // why the connection closed
	doneOnce sync.Once
}

var _ tpt.CapableConn = (*conn)(nil)

func newConn(t *transport, scope network.ConnManagementScope, odd bool) *conn {
	c := &conn{
		t: t, scope: scope, odd: odd, local: t.addr,
		accepted: make(chan struct{}, 1),
		closed:   make(chan struct{}),
		slots:    make(chan struct{}, maxStreams),
		streams:  map[uint64]*stream{},
	}
	if odd {
		c.next = 1
	}
	return c
}

// pair joins two ends: each one's path carries frames to the other.
func pair(n *Network, a, b *conn) {
	a.remote.other, b.remote.other = b, a
	a.out = newPath(n, a.t.ep, b.t.ep)
	a.out.dst = b
	b.out = newPath(n, b.t.ep, a.t.ep)
	b.out.dst = a
	n.addPath(a.out)
	n.addPath(b.out)
}

func (c *conn) OpenStream(ctx context.Context) (network.MuxedStream, error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.closed:
		return nil, c.closeErr()
	}
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	s := newStream(c, c.next)
	c.streams[s.id] = s
	c.next += 2
	// Sent under the lock, so that streams open in the order of their
	// numbers: the other end takes a lower number than one it has seen
	// for a stream it has forgotten.
	c.out.send(frame{kind: frameOpen, stream: s.id})
	c.mu.Unlock()
	return s, nil
}

func (c *conn) AcceptStream() (network.MuxedStream, error) {
	for {
		c.mu.Lock()
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			return nil, err
		}
		if len(c.pending) > 0 {
			s := c.pending[0]
			c.pending[0] = nil
			c.pending = c.pending[1:]
			if len(c.pending) == 0 {
				c.pending = nil
			} else {
				select { // for another AcceptStream waiting
				case c.accepted <- struct{}{}:
				default:
				}
			}
			c.mu.Unlock()
			return s, nil
		}
		c.mu.Unlock()
		select {
		case <-c.accepted:
		case <-c.closed:
		}
	}
}

func (c *conn) closeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// receive takes one frame from the other end.
func (c *conn) receive(f frame) {
	if f.kind == frameClose {
		c.shut(&network.ConnError{Remote: true, ErrorCode: network.ConnErrorCode(f.code), TransportError: ErrConnClosed})
		c.out.stop()
		return
	}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	s := c.streams[f.stream]
	if s == nil {
		if f.kind != frameOpen || (f.stream&1 == 1) == c.odd || f.stream < c.seen {
			c.mu.Unlock()
			return // a stream this end has forgotten, or nonsense
		}
		c.seen = f.stream + 1
		if len(c.pending) >= maxStreams {
			c.mu.Unlock()
			c.out.send(frame{kind: frameReset, stream: f.stream, code: uint32(network.StreamResourceLimitExceeded)})
			return
		}
		s = newStream(c, f.stream)
		c.streams[s.id] = s
		c.pending = append(c.pending, s)
		select {
		case c.accepted <- struct{}{}:
		default:
		}
	}
	c.mu.Unlock()
	s.receive(f)
}

// forget drops a stream both directions of which are over.
func (c *conn) forget(id uint64) {
	c.mu.Lock()
	delete(c.streams, id)
	c.mu.Unlock()
	if (id&1 == 1) == c.odd {
		<-c.slots // one of ours: another may open
	}
}

// shut closes this end for err: its streams fail with it, as QUIC's fail
// with the connection's error (libp2p makes a close a network.ConnError;
// an idle timeout stays the timeout), and its scope is released. Its path
// goes on until the caller stops it.
func (c *conn) shut(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	streams := make([]*stream, 0, len(c.streams))
	for _, s := range c.streams {
		streams = append(streams, s)
	}
	c.streams = nil
	c.mu.Unlock()
	close(c.closed)
	for _, s := range streams {
		s.fail(err)
	}
	c.doneOnce.Do(c.scope.Done)
}

// die ends both ends: the path between them was cut for the idle timeout.
func (c *conn) die() {
	other := c.remote.other
	c.shut(errTimedOut)
	other.shut(errTimedOut)
	c.out.stop()
	other.out.stop()
}

func (c *conn) Close() error { return c.CloseWithError(0) }

// CloseWithError closes this end at once; the other end learns it when
// the close frame arrives, after what was sent before it (the path stops
// once it has delivered the frame, or dies cut).
func (c *conn) CloseWithError(code network.ConnErrorCode) error {
	if c.closeErr() == nil {
		c.out.send(frame{kind: frameClose, code: uint32(code)})
		c.shut(&network.ConnError{ErrorCode: code, TransportError: ErrConnClosed})
	}
	return nil
}

func (c *conn) IsClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

func (c *conn) As(any) bool                   { return false }
func (c *conn) LocalPeer() peer.ID            { return c.t.id }
func (c *conn) RemotePeer() peer.ID           { return c.remote.id }
func (c *conn) RemotePublicKey() ic.PubKey    { return c.remote.key }
func (c *conn) LocalMultiaddr() ma.Multiaddr  { return c.local }
func (c *conn) RemoteMultiaddr() ma.Multiaddr { return c.remote.addr }
func (c *conn) Scope() network.ConnScope      { return c.scope }
func (c *conn) Transport() tpt.Transport      { return c.t }
func (c *conn) ConnState() network.ConnectionState {
	return network.ConnectionState{Transport: "streamnet"}
}
