package node

import (
	"context"
	"errors"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/admission"
	"starling/group"
	"starling/message"
	"starling/store"
)

// maxPendingPerGroup bounds the messages kept per group while they wait
// for what they depend on; the oldest go first when it is full (catch-up
// brings them again).
const maxPendingPerGroup = 1024

// pending holds messages a group ignored only because this node lacks what
// they depend on yet: an Op's parent, the Op a part belongs to, the genesis,
// the key they are sealed under, their author's profile, a deletion's
// target. Gossip and catch-up deliver in no particular order, so without
// it such a message would wait for the next catch-up round. Each group's
// queue is judged again whenever the group's state changes. Safe for
// concurrent use.
type pending struct {
	mu     sync.Mutex
	groups map[message.GroupID][]waiting
	ids    map[message.ID]bool
}

// waiting is a held message and the peer it came from, whose budgets
// admission charges once it is accepted.
type waiting struct {
	m    *message.Message
	from peer.ID
}

func newPending() *pending {
	return &pending{groups: map[message.GroupID][]waiting{}, ids: map[message.ID]bool{}}
}

// waits reports whether err says the message may be valid once more of the
// group is known.
func waits(err error) bool {
	for _, e := range []error{group.ErrStale, group.ErrUnknownKey, group.ErrNotMember, group.ErrUnknownTarget} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (p *pending) add(m *message.Message, from peer.ID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ids[m.ID] {
		return
	}
	q := p.groups[m.Body.Group]
	if len(q) >= maxPendingPerGroup {
		delete(p.ids, q[0].m.ID)
		q = q[1:]
	}
	p.groups[m.Body.Group] = append(q, waiting{m, from})
	p.ids[m.ID] = true
}

func (p *pending) has(g message.GroupID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.groups[g]) > 0
}

// take empties group g's queue and returns it.
func (p *pending) take(g message.GroupID) []waiting {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.groups[g]
	delete(p.groups, g)
	for _, w := range q {
		delete(p.ids, w.m.ID)
	}
	return q
}

func (p *pending) forget(g message.GroupID) { p.take(g) }

// retryPending judges group st's waiting messages again: what the group
// accepts now goes through admission, as from the peer that sent it, and
// is stored (and so applied); what still waits goes back. It runs on the
// effects goroutine, never on the store's writer, which it waits for.
func (n *Node) retryPending(ctx context.Context, st *group.State) {
	for progress := true; progress && ctx.Err() == nil; {
		progress = false
		for _, w := range n.pending.take(st.ID()) {
			m := w.m
			if have, err := n.store.Has(m.ID); err == nil && have {
				continue
			}
			_, v, err := st.Check(m, n.cfg.Clock())
			switch {
			case v == message.Accept:
				if av, err := n.admit.Admit(n.source(w.from, admission.Catchup), st, m); av != message.Accept {
					n.log.Debug("admission refused a message that was waiting", "msg", m, "err", err)
					continue
				}
				if _, err := n.store.Put(ctx, m, store.OriginCatchup); err != nil {
					if ctx.Err() == nil {
						n.log.Warn("could not store a message that was waiting", "msg", m, "err", err)
					}
					continue
				}
				progress = true
			case v == message.Ignore && waits(err):
				n.pending.add(m, w.from)
			}
		}
	}
}
