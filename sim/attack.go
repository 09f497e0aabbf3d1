package sim

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"starling/peering"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// attackers runs the scenario's hostile nodes: raw libp2p hosts with
// go-libp2p-pubsub that forward nothing they receive (their validator
// ignores everything but their own messages), dial their targets when
// their attack starts and, if their mode sends, publish at their rate until
// it stops. Spammers send junk, forged or over-rate messages; sybils take
// mesh slots and, in flood mode, send too.
type attackers struct {
	p      *plan
	w      *world
	keys   []nodeKeys
	format spamFormat
	sets   []attackSet
	hosts  []host.Host      // by node index - p.honest
	ps     []*pubsub.PubSub // likewise
	sent   []atomic.Int64   // per set: messages published
	stops  []func()         // per set, once begun
	// judge, if set, is asked about each set as it ends, before its nodes
	// leave; verdicts collects its answers.
	judge    func(attackSet) []event
	verdicts []event
	ctx      context.Context // the hosts' pubsub lifetime
	cancel   context.CancelFunc
}

// startAttackers builds the attackers' hosts; they stay silent until
// begin.
func startAttackers(p *plan, w *world, keys []nodeKeys, format spamFormat) (*attackers, error) {
	a := &attackers{p: p, w: w, keys: keys, format: format,
		sent: make([]atomic.Int64, len(p.attacks)), stops: make([]func(), len(p.attacks))}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	for _, pa := range p.attacks {
		a.sets = append(a.sets, attackSet{planAttack: pa, ids: peerIDs(keys, pa.Nodes)})
		for _, i := range pa.Nodes {
			h, err := rawHost(p, w, keys, i)
			if err != nil {
				return a, fmt.Errorf("start %s: %w", p.nodes[i].Name, err)
			}
			a.hosts = append(a.hosts, h)
			self := h.ID()
			ignoreOthers := func(_ context.Context, from peer.ID, _ *pubsub.Message) pubsub.ValidationResult {
				if from == self {
					return pubsub.ValidationAccept
				}
				return pubsub.ValidationIgnore
			}
			opts, err := barePubsubOptions(0, &bareTracer{}, ignoreOthers)
			if err != nil {
				return a, err
			}
			ps, err := pubsub.NewGossipSub(a.ctx, h, opts...)
			if err != nil {
				return a, fmt.Errorf("start %s: %w", p.nodes[i].Name, err)
			}
			a.ps = append(a.ps, ps)
		}
	}
	return a, nil
}

// begin starts attack set k: every node joins the topic, keeps its targets
// connected and, if its mode sends, spams.
func (a *attackers) begin(k int) {
	set := a.sets[k]
	ctx, stop := context.WithCancel(a.ctx)
	var wg sync.WaitGroup
	var topics []*pubsub.Topic
	for _, i := range set.Nodes {
		h, ps := a.hosts[i-a.p.honest], a.ps[i-a.p.honest]
		for _, j := range a.p.nodes[i].Peers {
			info := addrInfo(a.p, a.keys, j)
			wg.Go(func() { peering.Redial{Seed: a.p.nodeSeed(i)}.Keep(ctx, h, info) })
		}
		t, err := ps.Join(a.format.topic(a.p.groups[set.Group]))
		if err != nil {
			continue
		}
		topics = append(topics, t)
		sub, err := t.Subscribe()
		if err != nil {
			continue
		}
		wg.Go(func() {
			defer sub.Cancel()
			for {
				if _, err := sub.Next(ctx); err != nil {
					return
				}
			}
		})
		if set.Kind == AttackSpammer || set.Mode == ModeFlood {
			wg.Go(func() { a.spam(ctx, i, t, &a.sent[k]) })
		}
	}
	a.stops[k] = func() {
		stop()
		wg.Wait()
		for _, t := range topics {
			t.Close()
		}
		for _, i := range set.Nodes {
			h := a.hosts[i-a.p.honest]
			for _, p := range h.Network().Peers() {
				h.Network().ClosePeer(p)
			}
		}
	}
}

// spam publishes node i's messages at its set's rate until ctx ends.
func (a *attackers) spam(ctx context.Context, i int, t *pubsub.Topic, sent *atomic.Int64) {
	set := a.setOf(i)
	rng := rngFor(a.p.seed, fmt.Sprintf("spam/%d", i))
	tick := time.NewTicker(time.Duration(float64(time.Second) / set.Rate))
	defer tick.Stop()
	g := a.p.groups[set.Group]
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if t.Publish(ctx, a.format.message(set.Mode, a.keys[i].user, g, n, set.Size, rng)) == nil {
			sent.Add(1)
		}
	}
}

func (a *attackers) setOf(i int) attackSet {
	for _, s := range a.sets {
		if i >= s.Nodes[0] && i <= s.Nodes[len(s.Nodes)-1] {
			return s
		}
	}
	return attackSet{}
}

// end stops attack set k: no more messages, and its nodes leave.
func (a *attackers) end(k int) {
	if a.judge != nil && a.stops[k] != nil {
		a.verdicts = append(a.verdicts, a.judge(a.sets[k])...)
	}
	if stop := a.stops[k]; stop != nil {
		a.stops[k] = nil
		stop()
	}
}

// report summarises what each set sent and how the honest nodes judged
// it.
func (a *attackers) report() []event {
	out := a.verdicts
	for k, s := range a.sets {
		if n := a.sent[k].Load(); n > 0 {
			out = append(out, event{At: s.Stop.D(), Kind: EventAttack,
				Detail: fmt.Sprintf("%d %s (%s) published %d messages", s.Count, s.Kind, s.Mode, n)})
		}
	}
	return out
}

func (a *attackers) close() error {
	for k := range a.stops {
		a.end(k)
	}
	a.cancel()
	var errs []error
	for _, h := range a.hosts {
		errs = append(errs, h.Close())
	}
	return errors.Join(errs...)
}
