package peering

import (
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/protocol/holepunch"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

// UserAgent is what identify tells peers about this software.
const UserAgent = "starling/0.1"

// newHost builds the libp2p host: TCP, QUIC and WebSocket (for browsers,
// see WebSocket), the transport key as
// identity, a connection manager sized for an event hall and a light
// peerstore (memPeerstore). An organiser
// relay also runs the relay service; an attendee advertises the circuit
// addresses circuits returns and upgrades relayed connections to direct
// ones by hole punching where a NAT allows (see punchingHost).
func newHost(cfg Config, circuits func() []ma.Multiaddr) (host.Host, error) {
	low, high := 100, 400
	if cfg.RelayService != nil {
		low, high = 2048, 4096
	}
	cm, err := connmgr.NewConnManager(low, high, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("connection manager: %w", err)
	}
	punchLog := cfg.Logger.With("component", "holepunch")
	var rm network.ResourceManager // an attendee's, closed here if libp2p does not start
	opts := []libp2p.Option{
		libp2p.Identity(cfg.TransportKey),
		libp2p.ListenAddrs(cfg.ListenAddrs...),
		libp2p.ConnectionManager(cm),
		libp2p.UserAgent(UserAgent),
	}
	if len(cfg.Transports) > 0 {
		opts = append(opts, cfg.Transports...)
	} else {
		opts = append(opts, libp2p.Transport(tcp.NewTCPTransport), libp2p.Transport(quic.NewTransport),
			cfg.WebSocket.transport())
	}
	if cfg.RelayService != nil {
		ro, err := relayServiceOptions(*cfg.RelayService)
		if err != nil {
			return nil, err
		}
		opts = append(opts, ro...)
	} else {
		if rm, err = attendeeResourceManager(high); err != nil {
			return nil, err
		}
		opts = append(opts, libp2p.ResourceManager(rm), libp2p.DisableMetrics())
		// Attendees announce their circuit addresses through the relays
		// they hold reservations on (see relaySet.circuitAddrs), and
		// upgrade relayed connections to direct ones where a NAT allows.
		opts = append(opts, libp2p.EnableHolePunching(holepunch.WithTracer(holePunchLog{punchLog})))
		if circuits != nil {
			opts = append(opts, libp2p.AddrsFactory(func(addrs []ma.Multiaddr) []ma.Multiaddr {
				return append(addrs, circuits()...)
			}))
		}
	}
	if cfg.ConnectionGater != nil {
		opts = append(opts, libp2p.ConnectionGater(cfg.ConnectionGater))
	}
	started := time.Now()
	// Last, so that nothing above can fail with it open; libp2p closes it
	// with the host, or if the host does not start, as it would its own.
	opts = append(opts, libp2p.Peerstore(newPeerstore()))
	h, err := libp2p.New(opts...)
	if err != nil {
		if rm != nil {
			rm.Close()
		}
		return nil, fmt.Errorf("start libp2p on %v: %w", cfg.ListenAddrs, err)
	}
	if cfg.RelayService != nil {
		return h, nil
	}
	return &punchingHost{Host: h, log: punchLog, startupEnd: started.Add(holePunchStartup)}, nil
}
