package peering

import (
	"fmt"
	"math"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	relayv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	"github.com/libp2p/go-libp2p/x/rate"
	"github.com/prometheus/client_golang/prometheus"
)

// RelayService configures an organiser relay: a circuit relay v2 service
// set up so that GossipSub works over relayed connections. libp2p's default
// relay limits (2 min, 128 KiB a circuit) make every relayed connection
// "limited", and GossipSub does not use limited connections; so circuits
// here have no time or data limit and the ACL is what protects the relay.
// Zero fields take the defaults documented on them.
type RelayService struct {
	// ACL decides who may reserve a slot and open circuits; the node admits
	// to it the peers that present valid tickets (TicketProtocol). Nil:
	// anyone.
	ACL RelayACL
	// MaxReservations caps active reservations; default 4096.
	MaxReservations int
	// MaxReservationsPerIP caps reservations from one IP address; default
	// 1024, since a venue NAT puts hundreds of attendees behind one IP.
	MaxReservationsPerIP int
	// MaxCircuits caps open circuits per peer; default 64.
	MaxCircuits int
	// ReservationTTL is how long a reservation lasts before the client
	// refreshes it; default 1 h (libp2p's).
	ReservationTTL time.Duration

	// ConnsPerIP caps concurrent connections from one IPv4 address (an
	// IPv6 /64); default 512. ConnRatePerIP and ConnBurstPerIP limit how
	// fast one address may open them; defaults 20 per second, burst 256.
	// These keep one address from taking the relay down for everyone else,
	// and they apply to loopback too (libp2p exempts it by default).
	ConnsPerIP     int
	ConnRatePerIP  float64
	ConnBurstPerIP int
	// MaxConns caps all connections; default 8192.
	MaxConns int

	// MeshDegree is how many topic peers the relay keeps in each group's
	// GossipSub mesh (gossip.HubParams); default DefaultMeshDegree. On
	// client-isolated Wi-Fi the relay is the only path between attendees,
	// so the attendees in its mesh get each message at once, the others
	// only by gossip or catch-up, seconds to a minute later: keep it at
	// least the attendees per group.
	MeshDegree int

	// Tracer receives the relay's events (reservations, circuits), e.g.
	// relayv2.NewMetricsTracer for Prometheus. Optional.
	Tracer relayv2.MetricsTracer
	// Registerer, if set, receives libp2p's own metrics (swarm, resource
	// manager, identify). Optional.
	Registerer prometheus.Registerer
}

// DefaultMeshDegree is RelayService.MeshDegree's default: a relay grafts
// up to 4,096 attendees into each group's mesh (prunes only above twice
// that), so on client-isolated Wi-Fi every attendee gets each message in
// one hop. Measured in the simulator (sim/testdata/relay2000.yaml at 500
// attendees): with 128, 95 % delivered and every-member p99 69 s, a quarter
// of deliveries by catch-up; with every attendee in the mesh, 100 % and
// 25.6 ms, with half the bytes and CPU (no gossip, no catch-up, no
// duplicates). A relay forwards each message once per attendee either way;
// sending it at once is what costs least.
const DefaultMeshDegree = 4096

// HubDegree is the gossip mesh degree of a relay, or 0 for an attendee.
func (sv *Service) HubDegree() int {
	if sv.cfg.RelayService == nil {
		return 0
	}
	return sv.cfg.RelayService.withDefaults().MeshDegree
}

func (r RelayService) withDefaults() RelayService {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&r.MaxReservations, 4096)
	def(&r.MaxReservationsPerIP, 1024)
	def(&r.MaxCircuits, 64)
	def(&r.ConnsPerIP, 512)
	def(&r.ConnBurstPerIP, 256)
	def(&r.MaxConns, 8192)
	def(&r.MeshDegree, DefaultMeshDegree)
	if r.ConnRatePerIP <= 0 {
		r.ConnRatePerIP = 20
	}
	if r.ReservationTTL <= 0 {
		r.ReservationTTL = time.Hour
	}
	return r
}

// relayServiceOptions are the libp2p options of an organiser relay.
func relayServiceOptions(r RelayService) ([]libp2p.Option, error) {
	r = r.withDefaults()
	res := relayv2.DefaultResources()
	res.Limit = nil // no time or data limit: see RelayService
	res.ReservationTTL = r.ReservationTTL
	res.MaxReservations = r.MaxReservations
	res.MaxReservationsPerIP = r.MaxReservationsPerIP
	res.MaxReservationsPerASN = r.MaxReservations
	res.MaxCircuits = r.MaxCircuits
	relayOpts := []relayv2.Option{relayv2.WithResources(res)}
	if r.ACL != nil {
		relayOpts = append(relayOpts, relayv2.WithACL(r.ACL))
	}
	if r.Tracer != nil {
		relayOpts = append(relayOpts, relayv2.WithMetricsTracer(r.Tracer))
	}
	rm, err := relayResourceManager(r)
	if err != nil {
		return nil, err
	}
	opts := []libp2p.Option{
		libp2p.EnableRelayService(relayOpts...),
		libp2p.ResourceManager(rm),
		// A relay must be reachable by definition; it never reserves slots
		// elsewhere.
		libp2p.ForceReachabilityPublic(),
	}
	if r.Registerer != nil {
		opts = append(opts, libp2p.PrometheusRegisterer(r.Registerer))
	} else {
		opts = append(opts, libp2p.DisableMetrics())
	}
	return opts, nil
}

// relayResourceManager raises libp2p's resource limits to a relay's scale,
// identify's included (raiseIdentifyLimits), and replaces its per-IP
// connection limits (8 concurrent, 0.2 a second, loopback exempt) with the
// relay's.
func relayResourceManager(r RelayService) (network.ResourceManager, error) {
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	raiseIdentifyLimits(&limits, r.MaxConns)
	streams := 16 * r.MaxConns
	limits.SystemBaseLimit.Conns = r.MaxConns
	limits.SystemBaseLimit.ConnsInbound = r.MaxConns
	limits.SystemBaseLimit.ConnsOutbound = r.MaxConns
	limits.SystemBaseLimit.Streams = streams
	limits.SystemBaseLimit.StreamsInbound = streams
	limits.SystemBaseLimit.StreamsOutbound = streams
	limits.SystemBaseLimit.FD = r.MaxConns
	limits.TransientBaseLimit.Conns = r.MaxConns / 4
	limits.TransientBaseLimit.ConnsInbound = r.MaxConns / 4
	limits.TransientBaseLimit.Streams = streams / 4
	limits.TransientBaseLimit.StreamsInbound = streams / 4
	limits.TransientBaseLimit.StreamsOutbound = streams / 4
	// Every attendee keeps a GossipSub stream each way with the relay and
	// opens catch-up sessions on it: libp2p's default per-protocol limit
	// (512 inbound, plus 256 a GB) left a third of 2,000 attendees without
	// a gossip stream, so without the relay in their topics.
	limits.ProtocolBaseLimit.StreamsInbound = r.MaxConns
	limits.ProtocolBaseLimit.StreamsOutbound = r.MaxConns
	limits.ProtocolBaseLimit.Streams = 2 * r.MaxConns
	limits.AddServiceLimit(relayv2.ServiceName,
		rcmgr.BaseLimit{StreamsInbound: streams, StreamsOutbound: streams, Streams: 2 * streams, Memory: 512 << 20},
		rcmgr.BaseLimitIncrease{})
	scaled := limits.AutoScale()

	perIP := []rcmgr.ConnLimitPerSubnet{{PrefixLength: 32, ConnCount: r.ConnsPerIP}}
	perIP6 := []rcmgr.ConnLimitPerSubnet{{PrefixLength: 64, ConnCount: r.ConnsPerIP}}
	burst := rate.Limit{RPS: r.ConnRatePerIP, Burst: r.ConnBurstPerIP}
	limiter := &rate.Limiter{
		GlobalLimit: rate.Limit{RPS: math.Max(r.ConnRatePerIP*16, 200), Burst: r.MaxConns},
		SubnetRateLimiter: rate.SubnetLimiter{
			IPv4SubnetLimits: []rate.SubnetLimit{{PrefixLength: 32, Limit: burst}},
			IPv6SubnetLimits: []rate.SubnetLimit{{PrefixLength: 64, Limit: burst}},
			GracePeriod:      time.Minute,
		},
	}
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(scaled), append([]rcmgr.Option{
		rcmgr.WithLimitPerSubnet(perIP, perIP6),
		rcmgr.WithNetworkPrefixLimit([]rcmgr.NetworkPrefixLimit{}, []rcmgr.NetworkPrefixLimit{}),
		rcmgr.WithConnRateLimiters(limiter)}, rcmgrMetrics(r.Registerer)...)...)
	if err != nil {
		return nil, fmt.Errorf("relay resource manager: %w", err)
	}
	return rm, nil
}
