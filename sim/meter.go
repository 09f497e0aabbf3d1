package sim

import (
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"starling/alerts"
	"starling/catchup"
)

// meter is a node's libp2p bandwidth reporter, counting the stream bytes of
// catch-up sessions (either protocol: Negentropy's, and the Rateless IBLTs'
// that peers negotiate first). libp2p's own BandwidthCounter is not used: its meters
// share a package-level goroutine that would outlive a synctest bubble.
// The swarm calls it from every stream, so it only adds.
type meter struct {
	catchupIn, catchupOut atomic.Int64
	alertIn, alertOut     atomic.Int64 // alerts.Protocol: offers, acks, pulls
}

var _ metrics.Reporter = (*meter)(nil)

func (m *meter) LogSentMessageStream(n int64, p protocol.ID, _ peer.ID) {
	switch p {
	case catchup.ProtocolID, catchup.ProtocolID2:
		m.catchupOut.Add(n)
	case alerts.Protocol:
		m.alertOut.Add(n)
	}
}

func (m *meter) LogRecvMessageStream(n int64, p protocol.ID, _ peer.ID) {
	switch p {
	case catchup.ProtocolID, catchup.ProtocolID2:
		m.catchupIn.Add(n)
	case alerts.Protocol:
		m.alertIn.Add(n)
	}
}

// catchupBytes is what catch-up sent and received.
func (m *meter) catchupBytes() int64 { return m.catchupIn.Load() + m.catchupOut.Load() }

func (m *meter) LogSentMessage(int64)                                  {}
func (m *meter) LogRecvMessage(int64)                                  {}
func (m *meter) GetBandwidthForPeer(peer.ID) metrics.Stats             { return metrics.Stats{} }
func (m *meter) GetBandwidthForProtocol(protocol.ID) metrics.Stats     { return metrics.Stats{} }
func (m *meter) GetBandwidthTotals() metrics.Stats                     { return metrics.Stats{} }
func (m *meter) GetBandwidthByPeer() map[peer.ID]metrics.Stats         { return nil }
func (m *meter) GetBandwidthByProtocol() map[protocol.ID]metrics.Stats { return nil }
func (m *meter) Reset()                                                {}
func (m *meter) TrimIdle(time.Time)                                    {}
