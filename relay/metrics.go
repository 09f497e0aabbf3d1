package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	pbv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/pb"
	relayv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Source is what the metrics read from the running node at each scrape.
// Its methods return plain numbers, so that relay links neither the store
// nor gossip. They must be safe for concurrent use.
type Source interface {
	PeerCount() int
	// PhonePeers counts the connected peers that reach the node only over
	// WebSocket: phones, whose browsers dial nothing else.
	PhonePeers() int
	StoredMessages() (int, error)
	// GossipOutcomes counts the gossiped messages from other peers by
	// outcome (gossip.Stats.Map).
	GossipOutcomes() map[string]uint64
	// CatchupServed counts the catch-up sessions answered and the
	// messages sent in them (catchup.Stats).
	CatchupServed() (sessions, messages uint64)
	// Alerts reports the organiser alerts the node holds and its counts
	// of their acknowledgements.
	Alerts() AlertFigures
}

// AlertFigures are a node's alert figures as the metrics export them.
type AlertFigures struct {
	// AcksIn counts the acknowledgements verified and held, AcksRefused
	// those refused (bad signature, unknown alert, over a peer's share);
	// Offers the alerts offered to peers, Taken those a peer took.
	AcksIn, AcksRefused, Offers, Taken uint64
	// Reach is one line per alert held (a node holds at most 64).
	Reach []AlertReach
}

// AlertReach is one alert's reach: Reached of the Devices seen in its
// group in the last hour acknowledged it.
type AlertReach struct {
	Alert, Group     string // short IDs
	Reached, Devices int
}

// Metrics are a relay's Prometheus metrics, in a registry of their own. It
// is the relay service's relayv2.MetricsTracer, so it counts reservations
// and circuits as they happen; the rest it reads from the node (Watch) and
// the ACL at each scrape.
type Metrics struct {
	reg *prometheus.Registry

	reservations atomic.Int64 // active
	circuits     atomic.Int64 // open
	circuitsOpen atomic.Uint64
	bytes        atomic.Uint64
	resRefused   atomic.Uint64 // by any cause: ACL, limits
	connRefused  atomic.Uint64
}

var _ relayv2.MetricsTracer = (*Metrics)(nil)

// NewMetrics returns metrics that also report acl's refusals (acl may be
// nil) and the Go runtime's.
func NewMetrics(acl *ACL) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gauge := func(name, help string, f func() float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "starling", Subsystem: "relay", Name: name, Help: help}, f))
	}
	counter := func(name, help string, f func() float64) {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "starling", Subsystem: "relay", Name: name, Help: help}, f))
	}
	gauge("reservations", "Active reservations on this relay.", func() float64 { return float64(m.reservations.Load()) })
	gauge("circuits", "Open relayed connections.", func() float64 { return float64(m.circuits.Load()) })
	counter("circuits_opened_total", "Relayed connections opened.", func() float64 { return float64(m.circuitsOpen.Load()) })
	counter("circuit_bytes_total", "Bytes carried over relayed connections.", func() float64 { return float64(m.bytes.Load()) })
	counter("reservations_refused_total", "Reservation requests refused (ACL or limits).", func() float64 { return float64(m.resRefused.Load()) })
	counter("circuits_refused_total", "Circuit requests refused (ACL, limits or no reservation).", func() float64 { return float64(m.connRefused.Load()) })
	if acl != nil {
		counter("acl_refused_reservations_total", "Reservations the ACL refused.", func() float64 { r, _ := acl.Refused(); return float64(r) })
		counter("acl_refused_circuits_total", "Circuits the ACL refused.", func() float64 { _, c := acl.Refused(); return float64(c) })
	}
	return m
}

// Registry returns the registry, to add libp2p's own metrics to it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Watch adds the metrics read from the node: peers, messages stored,
// gossip counters (queue drops among them) and catch-up served.
func (m *Metrics) Watch(src Source) {
	m.reg.MustRegister(&nodeCollector{src: src})
}

// RelayStatus implements relayv2.MetricsTracer.
func (m *Metrics) RelayStatus(bool) {}

// ConnectionOpened implements relayv2.MetricsTracer.
func (m *Metrics) ConnectionOpened() { m.circuits.Add(1); m.circuitsOpen.Add(1) }

// ConnectionClosed implements relayv2.MetricsTracer.
func (m *Metrics) ConnectionClosed(time.Duration) { m.circuits.Add(-1) }

// ConnectionRequestHandled implements relayv2.MetricsTracer.
func (m *Metrics) ConnectionRequestHandled(s pbv2.Status) {
	if s != pbv2.Status_OK {
		m.connRefused.Add(1)
	}
}

// ReservationAllowed implements relayv2.MetricsTracer.
func (m *Metrics) ReservationAllowed(isRenewal bool) {
	if !isRenewal {
		m.reservations.Add(1)
	}
}

// ReservationClosed implements relayv2.MetricsTracer.
func (m *Metrics) ReservationClosed(cnt int) { m.reservations.Add(-int64(cnt)) }

// ReservationRequestHandled implements relayv2.MetricsTracer.
func (m *Metrics) ReservationRequestHandled(s pbv2.Status) {
	if s != pbv2.Status_OK {
		m.resRefused.Add(1)
	}
}

// BytesTransferred implements relayv2.MetricsTracer.
func (m *Metrics) BytesTransferred(cnt int) { m.bytes.Add(uint64(cnt)) }

// Serve serves the metrics at http://addr/metrics until ctx ends. ready, if
// not nil, is called with the bound address once it listens.
func (m *Metrics) Serve(ctx context.Context, addr string, log *slog.Logger, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	if ready != nil {
		ready(ln.Addr())
	}
	return m.ServeListener(ctx, ln, log)
}

// ServeListener serves the metrics at /metrics on ln until ctx ends, then
// closes ln.
func (m *Metrics) ServeListener(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slogPrinter{log}}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	defer stop()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Warn("metrics", "err", fmt.Sprint(v...)) }

// nodeCollector reads the node at each scrape.
type nodeCollector struct{ src Source }

var (
	descPeers   = prometheus.NewDesc("starling_peers", "Connected peers.", nil, nil)
	descPhones  = prometheus.NewDesc("starling_phone_peers", "Connected peers that reach the node only over WebSocket: phones running the page.", nil, nil)
	descStored  = prometheus.NewDesc("starling_messages_stored", "Messages stored across joined groups.", nil, nil)
	descGossip  = prometheus.NewDesc("starling_gossip_messages_total", "Gossiped messages from other peers by outcome.", []string{"outcome"}, nil)
	descServed  = prometheus.NewDesc("starling_catchup_served_sessions_total", "Catch-up sessions answered.", nil, nil)
	descServedM = prometheus.NewDesc("starling_catchup_served_messages_total", "Messages sent by catch-up.", nil, nil)
	descAcks    = prometheus.NewDesc("starling_alert_acks_total", "Alert acknowledgements verified and held, by outcome.", []string{"outcome"}, nil)
	descOffers  = prometheus.NewDesc("starling_alert_offers_total", "Alerts offered to peers that were not known to hold them, by outcome.", []string{"outcome"}, nil)
	descReached = prometheus.NewDesc("starling_alert_reached", "Devices that acknowledged an alert.", []string{"alert", "group"}, nil)
	descDevices = prometheus.NewDesc("starling_alert_devices", "Devices seen in an alert's group in the last hour.", []string{"alert", "group"}, nil)
)

func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPeers, descPhones, descStored, descGossip, descServed, descServedM, descAcks, descOffers, descReached, descDevices} {
		ch <- d
	}
}

func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descPeers, prometheus.GaugeValue, float64(c.src.PeerCount()))
	ch <- prometheus.MustNewConstMetric(descPhones, prometheus.GaugeValue, float64(c.src.PhonePeers()))
	if n, err := c.src.StoredMessages(); err == nil {
		ch <- prometheus.MustNewConstMetric(descStored, prometheus.GaugeValue, float64(n))
	} else {
		ch <- prometheus.NewInvalidMetric(descStored, err)
	}
	for outcome, v := range c.src.GossipOutcomes() {
		ch <- prometheus.MustNewConstMetric(descGossip, prometheus.CounterValue, float64(v), outcome)
	}
	sessions, messages := c.src.CatchupServed()
	ch <- prometheus.MustNewConstMetric(descServed, prometheus.CounterValue, float64(sessions))
	ch <- prometheus.MustNewConstMetric(descServedM, prometheus.CounterValue, float64(messages))
	a := c.src.Alerts()
	ch <- prometheus.MustNewConstMetric(descAcks, prometheus.CounterValue, float64(a.AcksIn), "held")
	ch <- prometheus.MustNewConstMetric(descAcks, prometheus.CounterValue, float64(a.AcksRefused), "refused")
	ch <- prometheus.MustNewConstMetric(descOffers, prometheus.CounterValue, float64(a.Offers), "offered")
	ch <- prometheus.MustNewConstMetric(descOffers, prometheus.CounterValue, float64(a.Taken), "taken")
	for _, r := range a.Reach {
		ch <- prometheus.MustNewConstMetric(descReached, prometheus.GaugeValue, float64(r.Reached), r.Alert, r.Group)
		ch <- prometheus.MustNewConstMetric(descDevices, prometheus.GaugeValue, float64(r.Devices), r.Alert, r.Group)
	}
}
