package sim

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// fleet is one stack under test on a world: Starling nodes, or bare
// go-libp2p-pubsub hosts set up like them. The run drives it through the
// same plan either way.
type fleet interface {
	// name is the report's name of the run: "starling" or "bare".
	name() string
	// start builds every honest node, joins its groups and starts it.
	start(ctx context.Context) error
	// send publishes planned message m from its sender. The timeline calls
	// it at m.At, on a goroutine of its own.
	send(ctx context.Context, m planMsg) error
	// delivered counts deliveries so far, for the progress line; it may
	// include messages that are not in the plan.
	delivered() int
	// deliveries lists, per planned message, the members that hold it and
	// since when (time since start), in any order and perhaps more than
	// once. Called once, after the last send.
	deliveries(start time.Time) [][]delivery
	// counters returns honest node i's counters.
	counters(i int) nodeCounters
	// spam is how this stack's attackers make their messages.
	spam() spamFormat
	// judge reports, as an attack ends, how the honest nodes treat its
	// attackers (scores, mesh slots); nil when the stack cannot tell.
	judge(set attackSet, at time.Duration) []event
	// health reports, at the end, how connected the honest nodes are.
	health(at time.Duration) []event
	// close stops every node and waits for them.
	close() error
}

// delivery is one member's copy of a planned message: 16 bytes, since a
// hall of 10,000 with a few hundred messages makes millions.
type delivery struct {
	at      time.Duration // since the run's start
	node    int32
	catchup bool // arrived by catch-up, not gossip
}

func newDelivery(node int, at time.Duration, catchup bool) delivery {
	return delivery{node: int32(node), at: at, catchup: catchup}
}

// nodeCounters are one honest node's counters at the end of a run.
type nodeCounters struct {
	bytesIn, bytesOut int64 // UDP payload bytes, QUIC headers included
	duplicates        int64
	catchupBytes      int64
	queueDrops        uint64
	catchupSessions   uint64 // served
	catchupMessages   uint64 // served
}

// attackSet is one scenario attacker entry at run time: its nodes' peer IDs.
type attackSet struct {
	planAttack
	ids []peer.ID
}
