// Package memnet puts libp2p hosts on an in-memory network: QUIC over
// endpoints of a marcopolo/simnet network (go-libp2p's x/simlibp2p
// approach, without its test dependencies), set up so that the hosts also
// run inside a testing/synctest bubble, on virtual time. Package sim runs
// its nodes on it with its own filters (Options); tests run theirs on a
// Network, in a bubble of their own with package memtest.
//
// It must not be imported by code that runs outside simulations and tests.
package memnet

import (
	"net"
	"sync/atomic"

	"github.com/libp2p/go-libp2p"
	libp2pyamux "github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/quicreuse"
	"github.com/libp2p/go-yamux/v5"
	quicgo "github.com/quic-go/quic-go"
	"go.uber.org/fx"
)

// Listen returns the packet connection a host listens on at addr: a
// simnet endpoint (simnet.Simnet.NewEndpoint), perhaps wrapped. libp2p
// calls it once for each QUIC listen address, from the goroutine that
// calls libp2p.New.
type Listen func(addr *net.UDPAddr) (net.PacketConn, error)

// Options are the libp2p options that put a host on the network listen
// makes endpoints of:
//   - QUIC only, dialling from its listen address;
//   - yamux (the muxer of relayed connections) without its keepalive,
//     whose goroutine waits on a mutex that a closing session holds while
//     its write waits out a deadline: a goroutine waiting on a mutex is not
//     durably blocked, so in a synctest bubble the clock would never reach
//     that deadline and the bubble would stall (golang/go#77687). Dead
//     circuits are still found: they die with the QUIC connection to their
//     relay, whose idle timeout is unchanged;
//   - no identify address discovery, which stalls synctest (see
//     x/simlibp2p), and no metrics, whose collectors outlive a bubble.
//
// Add libp2p.ListenAddrs with a /udp/PORT/quic-v1 address of the host's.
func Options(listen Listen) []libp2p.Option {
	return append(Common(), libp2p.Transport(quic.NewTransport), reuse(listen))
}

// Common are the options of Options other than QUIC, for a host on
// another simulated transport (such as package sim/streamnet's): yamux
// for relayed connections, no identify address discovery, no metrics.
func Common() []libp2p.Option {
	return []libp2p.Option{
		muxer,
		libp2p.DisableIdentifyAddressDiscovery(),
		libp2p.DisableMetrics(),
	}
}

var muxer = func() libp2p.Option {
	cfg := *(*yamux.Config)(libp2pyamux.DefaultTransport)
	cfg.EnableKeepAlive = false
	return libp2p.Muxer(libp2pyamux.ID, (*libp2pyamux.Transport)(&cfg))
}()

// reuse is the QUIC connection manager that listens with listen and dials
// from the listen address, like x/simlibp2p's QUICSimnet.
func reuse(listen Listen) libp2p.Option {
	src := &sourceIP{}
	opts := []quicreuse.Option{
		quicreuse.OverrideSourceIPSelector(func() (quicreuse.SourceIPSelector, error) { return src, nil }),
		quicreuse.OverrideListenUDP(func(_ string, addr *net.UDPAddr) (net.PacketConn, error) {
			c, err := listen(addr)
			if err != nil {
				return nil, err
			}
			src.ip.Store(&addr.IP)
			return c, nil
		}),
	}
	return libp2p.QUICReuse(func(l fx.Lifecycle, srk quicgo.StatelessResetKey, tk quicgo.TokenGeneratorKey, opts ...quicreuse.Option) (*quicreuse.ConnManager, error) {
		cm, err := quicreuse.NewConnManager(srk, tk, opts...)
		if err != nil {
			return nil, err
		}
		// libp2p does not close a connection manager it was handed.
		l.Append(fx.StopHook(cm.Close))
		return cm, nil
	}, opts...)
}

// sourceIP tells quicreuse which address a host dials from: its own.
type sourceIP struct{ ip atomic.Pointer[net.IP] }

func (s *sourceIP) PreferredSourceIPForDestination(*net.UDPAddr) (net.IP, error) {
	return *s.ip.Load(), nil
}
