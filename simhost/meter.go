package simhost

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Meter is a libp2p bandwidth reporter (libp2p.BandwidthReporter) that
// counts every stream's bytes and, apart, those of some protocols (catch-up's).
// libp2p's own BandwidthCounter keeps rates per peer and protocol that
// nobody here reads. The swarm calls it from every stream, so it only adds.
type Meter struct {
	protocols       []protocol.ID
	in, out         atomic.Int64
	protoIn, protoO atomic.Int64
}

var _ metrics.Reporter = (*Meter)(nil)

// NewMeter returns a Meter that counts the bytes of protocols apart.
func NewMeter(protocols ...protocol.ID) *Meter { return &Meter{protocols: protocols} }

// Totals returns the bytes of every stream received and sent, and those of
// the Meter's protocols both ways.
func (m *Meter) Totals() (in, out, proto int64) {
	return m.in.Load(), m.out.Load(), m.protoIn.Load() + m.protoO.Load()
}

func (m *Meter) LogSentMessageStream(n int64, p protocol.ID, _ peer.ID) {
	m.out.Add(n)
	if slices.Contains(m.protocols, p) {
		m.protoO.Add(n)
	}
}

func (m *Meter) LogRecvMessageStream(n int64, p protocol.ID, _ peer.ID) {
	m.in.Add(n)
	if slices.Contains(m.protocols, p) {
		m.protoIn.Add(n)
	}
}

func (m *Meter) LogSentMessage(int64)                                  {}
func (m *Meter) LogRecvMessage(int64)                                  {}
func (m *Meter) GetBandwidthForPeer(peer.ID) metrics.Stats             { return metrics.Stats{} }
func (m *Meter) GetBandwidthForProtocol(protocol.ID) metrics.Stats     { return metrics.Stats{} }
func (m *Meter) GetBandwidthTotals() metrics.Stats                     { return metrics.Stats{} }
func (m *Meter) GetBandwidthByPeer() map[peer.ID]metrics.Stats         { return nil }
func (m *Meter) GetBandwidthByProtocol() map[protocol.ID]metrics.Stats { return nil }
func (m *Meter) Reset()                                                {}
func (m *Meter) TrimIdle(time.Time)                                    {}
