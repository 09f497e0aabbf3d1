package sim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"

	"starling/gossip"
	"starling/group"
	"starling/peering"
)

// bareFleet is the baseline: plain go-libp2p hosts with go-libp2p-pubsub
// set up exactly as Starling sets it up (gossip.Settings: no libp2p signing
// or author, content-hash message IDs, flood publish, the same queue sizes,
// seen cache, topic filter, peer-score parameters and peer exchange), with
// an inline validator that checks one Ed25519 signature over a message of
// the same size, and nothing else: no store, no catch-up, no groups, no
// application score (it is 0), no relay circuits. Static peers are kept
// connected by node's own loop (peering.Redial), seeded as the Starling node
// in the same place is, so both stacks redial on the same schedule. Where
// Starling attendees reach each other through relay circuits, bare
// attendees have only the relays' meshes.
type bareFleet struct {
	p      *plan
	w      *world
	keys   []nodeKeys
	hosts  []host.Host
	topics [][]*pubsub.Topic // [node][group], nil if not joined
	tracer []*bareTracer
	size   []int // data size of each planned message

	ctx    context.Context // the hosts' pubsub lifetime
	cancel context.CancelFunc
	wg     sync.WaitGroup

	count atomic.Int64
	mu    []sync.Mutex
	got   [][]arrival // per node, appended by its readers
	// base is when the fleet was made: arrivals count from it.
	base time.Time
}

// arrival is one planned message at one node: 16 bytes, for the millions
// of a large hall.
type arrival struct {
	msg int32
	at  time.Duration // since base
}

func newBare(p *plan, w *world) *bareFleet { return &bareFleet{p: p, w: w, base: time.Now()} }

func (f *bareFleet) name() string { return "bare" }

func (f *bareFleet) start(ctx context.Context) error {
	var err error
	if f.keys, err = allKeys(f.p); err != nil {
		return err
	}
	if f.size, err = envelopeSizes(f.p); err != nil {
		return err
	}
	n := f.p.honest
	f.hosts, f.topics, f.tracer = make([]host.Host, n), make([][]*pubsub.Topic, n), make([]*bareTracer, n)
	f.mu, f.got = make([]sync.Mutex, n), make([][]arrival, n)
	f.ctx, f.cancel = context.WithCancel(context.Background())
	for i := range n {
		if err := f.startHost(i); err != nil {
			return fmt.Errorf("start bare %s: %w", f.p.nodes[i].Name, err)
		}
	}
	for i := range n {
		peers := f.p.nodes[i].Peers
		if f.p.nodes[i].Role != RoleRelay {
			peers = append(append([]int(nil), peers...), f.p.nodes[i].Relays...)
		}
		for _, j := range peers {
			info := addrInfo(f.p, f.keys, j)
			f.wg.Go(func() { peering.Redial{Seed: f.p.nodeSeed(i)}.Keep(f.ctx, f.hosts[i], info) })
		}
	}
	return nil
}

func (f *bareFleet) startHost(i int) error {
	h, err := rawHost(f.p, f.w, f.keys, i)
	if err != nil {
		return err
	}
	f.hosts[i] = h
	f.tracer[i] = &bareTracer{}
	degree := 0 // not a relay
	if f.p.isRelay(i) {
		degree = cmp.Or(f.p.sc.Node.RelayMeshDegree, peering.DefaultMeshDegree)
	}
	opts, err := barePubsubOptions(degree, f.tracer[i], bareValidator)
	if err != nil {
		return err
	}
	ps, err := pubsub.NewGossipSub(f.ctx, h, opts...)
	if err != nil {
		return err
	}
	// The subscription buffers of Starling's nodes (gossip's
	// InboundQueueSize defaults).
	buffer := gossip.DefaultInboundQueue
	if degree > 0 {
		buffer = gossip.DefaultQueueSize
	}
	f.topics[i] = make([]*pubsub.Topic, len(f.p.groups))
	for gi, g := range f.p.groups {
		if f.p.nodes[i].Role != RoleRelay && !g.in[i] {
			continue
		}
		t, err := ps.Join(group.Topic(bareGroupID(g)))
		if err != nil {
			return err
		}
		if err := t.SetScoreParams(gossip.TopicScoreParams()); err != nil {
			return err
		}
		sub, err := t.Subscribe(pubsub.WithBufferSize(buffer))
		if err != nil {
			return err
		}
		f.topics[i][gi] = t
		f.wg.Go(func() { f.read(i, sub) })
	}
	return nil
}

// read records node i's deliveries from one subscription.
func (f *bareFleet) read(i int, sub *pubsub.Subscription) {
	defer sub.Cancel()
	self := f.hosts[i].ID()
	for {
		msg, err := sub.Next(f.ctx)
		if err != nil {
			return
		}
		idx, ok := bareIndex(msg.Data)
		if msg.ReceivedFrom == self || !ok || idx >= uint64(len(f.p.msgs)) {
			continue
		}
		f.count.Add(1)
		f.mu[i].Lock()
		f.got[i] = append(f.got[i], arrival{int32(idx), time.Since(f.base)})
		f.mu[i].Unlock()
	}
}

func (f *bareFleet) send(ctx context.Context, m planMsg) error {
	t := f.topics[m.Sender][m.Group]
	if t == nil {
		return fmt.Errorf("%s is not in group %s", f.p.nodes[m.Sender].Name, f.p.groups[m.Group].Name)
	}
	return t.Publish(ctx, bareMessage(f.keys[m.Sender].user.PrivateKey(), uint64(m.Index), f.size[m.Index]))
}

func (f *bareFleet) delivered() int { return int(f.count.Load()) }

func (f *bareFleet) deliveries(start time.Time) [][]delivery {
	out := make([][]delivery, len(f.p.msgs))
	for i := range f.got {
		f.mu[i].Lock()
		for _, a := range f.got[i] {
			m := f.p.msgs[a.msg]
			if i != m.Sender && f.p.groups[m.Group].in[i] {
				out[a.msg] = append(out[a.msg], newDelivery(i, a.at-start.Sub(f.base), false))
			}
		}
		f.got[i] = nil // copied; called once
		f.mu[i].Unlock()
	}
	return out
}

func (f *bareFleet) counters(i int) nodeCounters {
	in, out := f.w.traffic(i)
	t := f.tracer[i]
	return nodeCounters{bytesIn: in, bytesOut: out, duplicates: t.duplicates.Load(), queueDrops: uint64(t.drops.Load())}
}

func (f *bareFleet) spam() spamFormat { return bareSpam{} }

func (f *bareFleet) judge(attackSet, time.Duration) []event { return nil }

func (f *bareFleet) health(at time.Duration) []event { return connectivity(f.p, f.hosts, nil, at) }

func (f *bareFleet) close() error {
	if f.cancel != nil {
		f.cancel()
	}
	f.wg.Wait()
	var errs []error
	for _, h := range f.hosts {
		if h != nil {
			errs = append(errs, h.Close())
		}
	}
	return errors.Join(errs...)
}

var _ fleet = (*bareFleet)(nil)

// rawHost is a plain libp2p host on node i's simulated address, with the
// connection manager a Starling node of its role has.
func rawHost(p *plan, w *world, keys []nodeKeys, i int) (host.Host, error) {
	low, high := 100, 400
	if p.isRelay(i) {
		low, high = 2048, 4096
	}
	cm, err := connmgr.NewConnManager(low, high, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, err
	}
	opts := []libp2p.Option{
		libp2p.Identity(keys[i].transport),
		libp2p.ListenAddrs(p.listenAddr(i)),
		libp2p.ConnectionManager(cm),
	}
	return libp2p.New(append(opts, w.transports(i)...)...)
}

// barePubsubOptions are Starling's pubsub settings (gossip.Settings) plus
// a tracer; relayDegree, for a relay, is its hub degree, and turns peer
// exchange on, as node does for relays.
func barePubsubOptions(relayDegree int, t pubsub.RawTracer, validate pubsub.ValidatorEx) ([]pubsub.Option, error) {
	cfg := gossip.Config{PeerExchange: relayDegree > 0, HubDegree: relayDegree}
	opts, err := gossip.Settings(cfg, validate)
	if err != nil {
		return nil, err
	}
	return append(opts, pubsub.WithRawTracer(t)), nil
}

func bareValidator(_ context.Context, _ peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if _, ok := verifyBare(m.Data); !ok {
		return pubsub.ValidationReject
	}
	return pubsub.ValidationAccept
}
