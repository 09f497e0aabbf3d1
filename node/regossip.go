package node

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"starling/gossip"
	"starling/message"
	"starling/store"
)

// What catch-up teaches a node it passes on by gossip: without that, the
// third nodes of a healed partition, or the attendees a relay's mesh did
// not reach, wait for catch-up rounds of their own (a minute apart). Only
// recent messages qualify (Config.RegossipWindow): a late joiner fetching
// a day of history has nothing to tell the others, who hold it. Peers that
// hold a message already drop it as a duplicate before checking its
// signature; that is the price, counted in the simulator's duplicates.
const (
	// regossipQueue bounds what waits to be passed on; beyond it the
	// newest are dropped (catch-up still reaches everyone).
	regossipQueue = 4096
	// regossipRate and regossipBurst bound the messages a second a node
	// re-publishes, so a large catch-up does not crowd out live traffic.
	regossipRate  = 200
	regossipBurst = 500
)

// regossiper holds the messages waiting to be passed on. A goroutine runs
// only while it is not empty: an idle node pays nothing for it.
type regossiper struct {
	mu       sync.Mutex
	queue    []*message.Message
	draining bool
	tokens   float64
	last     time.Time

	sent, dropped atomic.Uint64
}

// learnt takes a batch the store committed, on the writer's goroutine,
// and queues what came by catch-up recently enough.
func (n *Node) regossipLearnt(batch []store.Stored) {
	if n.cfg.RegossipWindow < 0 {
		return
	}
	r := n.regossip
	cutoff := n.cfg.Clock().Add(-n.cfg.RegossipWindow).UnixMilli()
	start := false
	r.mu.Lock()
	for _, s := range batch {
		// A picture's chunk came by fetch, not catch-up, and is never
		// gossiped: every peer would reject it and score this node down.
		if s.Origin != store.OriginCatchup || isChunk(s.Msg.Body.Kind) || int64(s.Msg.Body.SentAtMS) < cutoff {
			continue
		}
		if len(r.queue) >= regossipQueue {
			r.dropped.Add(1)
			continue
		}
		r.queue = append(r.queue, s.Msg)
	}
	if len(r.queue) > 0 && !r.draining {
		r.draining, start = true, true
	}
	r.mu.Unlock()
	if start {
		n.goFunc(n.drainRegossip)
	}
}

// drainRegossip publishes the queue at regossipRate and ends when it is
// empty.
func (n *Node) drainRegossip(ctx context.Context) {
	r := n.regossip
	for {
		r.mu.Lock()
		if len(r.queue) == 0 || ctx.Err() != nil {
			r.queue, r.draining = nil, false
			r.mu.Unlock()
			return
		}
		wait := r.takeLocked(n.cfg.Clock())
		var m *message.Message
		if wait == 0 {
			m, r.queue = r.queue[0], r.queue[1:]
		}
		r.mu.Unlock()
		if m == nil {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
			continue
		}
		_, err := n.gossip.Publish(ctx, m)
		switch {
		case err == nil:
			r.sent.Add(1)
		case errors.Is(err, gossip.ErrNoPeers), errors.Is(err, gossip.ErrNotJoined), errors.Is(err, gossip.ErrRefused):
			// Nobody to tell, a group left since, or no longer valid
			// here (a removal arrived): nothing to pass on.
			r.dropped.Add(1)
		default:
			r.dropped.Add(1)
			n.log.Debug("could not pass on a message learnt by catch-up", "msg", m, "err", err)
		}
	}
}

// takeLocked takes a token, or says how long until one is there.
func (r *regossiper) takeLocked(now time.Time) time.Duration {
	if r.last.IsZero() {
		r.tokens = regossipBurst
	} else {
		r.tokens = min(regossipBurst, r.tokens+now.Sub(r.last).Seconds()*regossipRate)
	}
	r.last = now
	if r.tokens >= 1 {
		r.tokens--
		return 0
	}
	return time.Duration((1 - r.tokens) / regossipRate * float64(time.Second))
}
