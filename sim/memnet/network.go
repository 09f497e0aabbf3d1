package memnet

import (
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/marcopolo/simnet"
	ma "github.com/multiformats/go-multiaddr"
)

// Network is an in-memory network with the same latency and bandwidth on
// every link: a LAN for tests. It hands out listen addresses, each host an
// IP of its own unless it asks for one, and every packet to an address
// nobody listens on (a stopped host's) is dropped without a word.
type Network struct {
	nw   *simnet.Simnet
	link simnet.NodeBiDiLinkSettings

	mu    sync.Mutex
	ports map[string]int // the last port given out on each IP
	hosts int            // hosts given an IP of their own so far
}

// Default link of NewNetwork's callers that have no reason to choose: a
// wired LAN.
const (
	DefaultLatency   = time.Millisecond
	DefaultBandwidth = 100_000_000 // bits per second, each way
)

// NewNetwork starts a network whose packets take latency one way, on links
// of bitsPerSecond each way. Close stops it.
func NewNetwork(latency time.Duration, bitsPerSecond int) *Network {
	n := &Network{
		nw: &simnet.Simnet{
			LatencyFunc: simnet.StaticLatency(latency),
			Logger:      slog.New(slog.DiscardHandler),
		},
		link: simnet.NodeBiDiLinkSettings{
			Downlink: simnet.LinkSettings{BitsPerSecond: bitsPerSecond},
			Uplink:   simnet.LinkSettings{BitsPerSecond: bitsPerSecond},
		},
		ports: map[string]int{},
	}
	n.nw.Start()
	return n
}

// Close stops the network's goroutines; close its hosts first.
func (n *Network) Close() { n.nw.Close() }

// Addr returns a fresh QUIC listen address on ip (such as "127.0.0.7", to
// put several hosts on one address), or on an IP of its own when ip is
// empty.
func (n *Network) Addr(ip string) ma.Multiaddr {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ip == "" {
		n.hosts++
		ip = fmt.Sprintf("10.%d.%d.%d", n.hosts>>16&0xff, n.hosts>>8&0xff, n.hosts&0xff)
	}
	n.ports[ip]++
	return ma.StringCast(fmt.Sprintf("/ip4/%s/udp/%d/quic-v1", ip, 4000+n.ports[ip]))
}

// Transports are the libp2p options (Options) that put a host on n; it
// listens on the addresses given with libp2p.ListenAddrs, from Addr. A host
// that restarts on its old address takes it over.
func (n *Network) Transports() []libp2p.Option {
	return Options(func(addr *net.UDPAddr) (net.PacketConn, error) {
		n.mu.Lock()
		defer n.mu.Unlock() // simnet's NewEndpoint is not safe for concurrent use
		return n.nw.NewEndpoint(addr, n.link), nil
	})
}

// Host is the options of a plain host on n listening on a fresh address on
// ip (see Addr).
func (n *Network) Host(ip string) []libp2p.Option {
	return append(n.Transports(), libp2p.ListenAddrs(n.Addr(ip)))
}
