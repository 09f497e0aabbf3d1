package gossip

import (
	"maps"
	"net"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Peer scoring. Chat is bursty: a peer may be silent for an hour and then
// forward a hundred messages in a minute, so nothing here punishes silence
// or slowness (P3 and P3b, mesh delivery deficits, are off). What costs score
// is what no honest peer does: forwarding invalid messages (P4), crowding in
// from one IP (P6) and breaking gossip promises (P7), the last two gently.
//
// With these numbers one invalid message takes a peer to about -100, and six
// in quick succession get it graylisted (its RPCs dropped unread); the count
// decays to nothing over an hour.
const (
	// AcceptPXThreshold is the score a peer needs before this host takes
	// peer records (PX) from it: only an organiser relay, given an AppScore
	// above it, gets there.
	AcceptPXThreshold = 100

	gossipThreshold    = -500
	publishThreshold   = -1000
	graylistThreshold  = -2500
	acceptPXThreshold  = AcceptPXThreshold
	opportunisticGraft = 3

	// invalidWeight is P4: -100 times the square of the decaying count.
	invalidWeight = -100
	invalidDecay  = time.Hour

	// colocationThreshold peers may share an IP before P6 costs
	// colocationWeight times the square of the surplus: about 50 peers behind
	// one NAT fall below the publish threshold, about 65 are graylisted.
	colocationThreshold = 16
	colocationWeight    = -1

	// behaviourWeight is P7 (broken IWANT promises, re-grafting during
	// backoff) over behaviourThreshold, squared. Mild: a slow honest peer
	// drops IWANT answers when its queue is full.
	behaviourWeight    = -1
	behaviourThreshold = 10
	behaviourDecay     = 10 * time.Minute

	// retainScore keeps a disconnected peer's score, so reconnecting does not
	// wash it.
	retainScore = 30 * time.Minute

	// deliveryRecordTTL is how long scoring keeps a message's delivery
	// record: its validation state and every peer that sent a copy. Copies
	// come within seconds (flood and mesh forwarding at once; IWANT answers
	// only while the message cache holds it, HistoryLength heartbeats, 5 s
	// by default), and with mesh-delivery scoring (P3) off, a record only
	// matters to a copy of a message found invalid (P4 for its sender); a
	// later copy is still dropped unvalidated by the seen cache. So scoring
	// keeps records for 30 s, six times the message cache, not the seen
	// cache's long TTL nor pubsub's default two minutes: a record with its
	// copies is about 500 bytes, and in the simulator's hall of 1,000
	// (about a message a second) two minutes of them were 46 KB a node of
	// its 0.86 MiB floor. What it gives up (review): pubsub drops records
	// at its minute's sweep, so a copy of an invalid message that comes
	// 30 to 90 s after it was judged finds none and costs its sender no
	// P4, where two minutes gave 2 to 3; such a copy is still dropped
	// unvalidated by the seen cache, and a fresh invalid message is still
	// penalised. Node regossip (RegossipWindow) sends late copies of valid
	// messages, whose records come back as "unknown" and cost nothing.
	deliveryRecordTTL = 30 * time.Second

	// scoreSnapshotInterval is how often Scores is refreshed: it scores
	// every peer, so on a relay with thousands it is not free, and only
	// the simulator's attack report and tests read it.
	scoreSnapshotInterval = 10 * time.Second
)

// loopback is always exempt from P6: tests, the simulator's harness and a
// node's local tools put many peers on 127.0.0.1.
var loopback = []*net.IPNet{
	{IP: net.IPv4(127, 0, 0, 0), Mask: net.CIDRMask(8, 32)},
	{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)},
}

func scoreParams(cfg Config) *pubsub.PeerScoreParams {
	return &pubsub.PeerScoreParams{
		// Topics is filled per group by Join (Topic.SetScoreParams).
		Topics:        make(map[string]*pubsub.TopicScoreParams),
		TopicScoreCap: 50,

		AppSpecificScore:  cfg.AppScore,
		AppSpecificWeight: 1,

		IPColocationFactorWeight:    colocationWeight,
		IPColocationFactorThreshold: colocationThreshold,
		IPColocationFactorWhitelist: append(append([]*net.IPNet(nil), loopback...), cfg.ColocationWhitelist...),

		BehaviourPenaltyWeight:    behaviourWeight,
		BehaviourPenaltyThreshold: behaviourThreshold,
		BehaviourPenaltyDecay:     pubsub.ScoreParameterDecay(behaviourDecay),

		DecayInterval: pubsub.DefaultDecayInterval,
		DecayToZero:   pubsub.DefaultDecayToZero,
		RetainScore:   retainScore,
		SeenMsgTTL:    min(cfg.SeenTTL, deliveryRecordTTL),
	}
}

func scoreThresholds() *pubsub.PeerScoreThresholds {
	return &pubsub.PeerScoreThresholds{
		GossipThreshold:             gossipThreshold,
		PublishThreshold:            publishThreshold,
		GraylistThreshold:           graylistThreshold,
		AcceptPXThreshold:           acceptPXThreshold,
		OpportunisticGraftThreshold: opportunisticGraft,
	}
}

// TopicScoreParams are a group topic's score parameters, the same for
// every group. Positive terms are small (at most about 26 per topic, capped
// at 50 overall) so that good behaviour cannot bank enough credit to
// outweigh invalid messages.
func TopicScoreParams() *pubsub.TopicScoreParams {
	return &pubsub.TopicScoreParams{
		TopicWeight: 1,

		// P1: time in mesh, up to 6 after ten minutes.
		TimeInMeshWeight:  0.01,
		TimeInMeshQuantum: time.Second,
		TimeInMeshCap:     600,

		// P2: first deliveries, up to 20, forgotten over ten minutes.
		FirstMessageDeliveriesWeight: 1,
		FirstMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(10 * time.Minute),
		FirstMessageDeliveriesCap:    20,

		// P3 and P3b stay zero (off): silence is normal in chat.

		InvalidMessageDeliveriesWeight: invalidWeight,
		InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(invalidDecay),
	}
}

// storeScores is pubsub's score inspector; it runs on a goroutine of its own
// every scoreSnapshotInterval.
func (g *Gossip) storeScores(scores map[peer.ID]float64) {
	g.scores.Store(&scores)
}

// Scores returns each known peer's score as this host sees it, refreshed
// every second: connected peers and those disconnected within the last 30
// minutes. Negative means misbehaving; below -2500 its RPCs are ignored.
func (g *Gossip) Scores() map[peer.ID]float64 {
	p := g.scores.Load()
	if p == nil {
		return map[peer.ID]float64{}
	}
	return maps.Clone(*p)
}
