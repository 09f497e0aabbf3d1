package peering

import (
	"fmt"
	"sync"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify"
	"github.com/prometheus/client_golang/prometheus"
)

// raiseIdentifyLimits lets identify run on conns connections at once.
//
// libp2p allows 64 concurrent identify streams each way, plus 64 for each
// GB of memory it may use (about 256 on this 24 GiB machine). When more
// peers than that connect at once, as a venue's attendees do to its relay
// when the doors open, the rest fail to identify ("cannot reserve outbound
// stream: resource limit exceeded") and nothing tries again. GossipSub only
// opens its stream to a peer whose identify listed its protocol, so the
// node keeps such a peer in its topics (the peer's own stream announced its
// subscriptions) and drops every message for it: 38 of 300 attendees on
// two relays in the simulator, and most of the 120k drops among 1,000.
func raiseIdentifyLimits(limits *rcmgr.ScalingLimitConfig, conns int) {
	base := rcmgr.BaseLimit{StreamsInbound: conns, StreamsOutbound: conns, Streams: 2 * conns, Memory: 64 << 20}
	limits.AddServiceLimit(identify.ServiceName, base, rcmgr.BaseLimitIncrease{})
	for _, id := range []protocol.ID{identify.ID, identify.IDPush} {
		limits.AddProtocolLimit(id, base, rcmgr.BaseLimitIncrease{})
	}
}

// attendeeResourceManager is libp2p's default resource manager with room
// for identify on every connection the connection manager keeps (high),
// and without its Prometheus statistics (rcmgrMetrics): an attendee's host
// runs with libp2p.DisableMetrics, so nothing would ever read them.
func attendeeResourceManager(high int) (network.ResourceManager, error) {
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(attendeeLimits(high)), rcmgrMetrics(nil)...)
	if err != nil {
		return nil, fmt.Errorf("resource manager: %w", err)
	}
	return rm, nil
}

// rcmgrMetrics are the resource manager's options for its Prometheus
// statistics, kept only where reg exports them. A resource manager made
// outside libp2p.New keeps statistics unless told not to: it formats a
// timestamp and updates labelled gauges on every stream and connection
// opened or closed (about 0.04 s of CPU in the simulator's two-minute random
// scenario), into collectors that libp2p registers only with the host's
// PrometheusRegisterer, which an attendee's host, and a relay's without a
// Registerer, do not have.
func rcmgrMetrics(reg prometheus.Registerer) []rcmgr.Option {
	if reg != nil {
		return nil
	}
	return []rcmgr.Option{rcmgr.WithMetricsDisabled()}
}

// attendeeLimits are attendeeResourceManager's limits for high
// connections, scaled to this machine once per process and shared: a
// fixed limiter only reads them, and their maps of service and protocol
// limits cost about 4 KB a host, for the simulator's thousand hosts each.
func attendeeLimits(high int) rcmgr.ConcreteLimitConfig {
	if c, ok := sharedLimits.Load(high); ok {
		return c.(rcmgr.ConcreteLimitConfig)
	}
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	raiseIdentifyLimits(&limits, high)
	c, _ := sharedLimits.LoadOrStore(high, limits.AutoScale())
	return c.(rcmgr.ConcreteLimitConfig)
}

// sharedLimits holds attendeeLimits' configurations by connection count.
var sharedLimits sync.Map
