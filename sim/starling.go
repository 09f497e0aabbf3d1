package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"starling/gossip"
	"starling/group"
	"starling/message"
	"starling/node"
	"starling/peering"
	"starling/store"
)

// starlingFleet runs a real node.Node for every relay and attendee: real
// gossip, an in-memory store, catch-up, groups and relays, on the world's
// simulated QUIC.
type starlingFleet struct {
	p      *plan
	w      *world
	log    *slog.Logger
	keys   []nodeKeys
	nodes  []*node.Node // honest nodes, by index
	meters []*meter
	// refs[i][g] is how node i names group g in Send ("" if not in it).
	refs [][]string

	mu  sync.Mutex
	ids map[int]message.ID // planned index -> ID, once sent
	// origin is when the timeline started (deliveries' start); reach
	// samples the organiser's count of each alert's acknowledgements.
	origin time.Time
	reach  map[int][]reachSample

	// verified is the signatures the nodes have checked, shared with
	// node.shared_signatures: a message's signature is checked once in the
	// process, not once per node (see gossip.Verified).
	verified *gossip.Verified

	dir    string // the nodes' stores with node.store: disk
	cancel context.CancelFunc
	runCtx context.Context
	runs   sync.WaitGroup // relays' runs, alert samplers
	// stopAttendees ends the attendees' runs (attendeeRuns) alone, so
	// that they stop before the relays.
	stopAttendees context.CancelFunc
	attendeeRuns  sync.WaitGroup
	errMu         sync.Mutex
	errs          []error
}

func newStarling(p *plan, w *world, log *slog.Logger) *starlingFleet {
	f := &starlingFleet{p: p, w: w, log: log, ids: map[int]message.ID{}, reach: map[int][]reachSample{}}
	if p.sc.Node.SharedSignatures {
		f.verified = gossip.NewVerified(1 << 16)
	}
	return f
}

func (f *starlingFleet) name() string { return "starling" }

func (f *starlingFleet) start(ctx context.Context) error {
	var err error
	if f.keys, err = allKeys(f.p); err != nil {
		return err
	}
	if f.p.sc.Node.Store == StoreDisk {
		if f.dir, err = os.MkdirTemp("", "starling-sim-"); err != nil {
			return fmt.Errorf("directory for the nodes' stores: %w", err)
		}
	}
	f.nodes = make([]*node.Node, f.p.honest)
	f.meters = make([]*meter, f.p.honest)
	f.refs = make([][]string, f.p.honest)
	for i := range f.p.honest {
		f.meters[i] = &meter{}
		f.refs[i] = make([]string, len(f.p.groups))
		if f.nodes[i], err = node.New(f.config(i)); err != nil {
			return fmt.Errorf("start %s: %w", f.p.nodes[i].Name, err)
		}
	}
	if err := f.joinGroups(ctx); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	attendeeCtx, stopAttendees := context.WithCancel(runCtx)
	f.cancel, f.runCtx, f.stopAttendees = cancel, runCtx, stopAttendees
	for i, n := range f.nodes {
		ctx, runs := runCtx, &f.runs
		if !f.p.isRelay(i) {
			ctx, runs = attendeeCtx, &f.attendeeRuns
		}
		runs.Go(func() {
			if err := n.Run(ctx); err != nil && !errors.Is(err, node.ErrClosed) {
				f.errMu.Lock()
				f.errs = append(f.errs, err)
				f.errMu.Unlock()
			}
		})
	}
	return nil
}

// config is node i's node.Config: the simulated transport, a store on the
// memory engine (or, with node.store, an in-memory Badger with the smallest
// memtable and no compactors, or a Badger store on disk), no mDNS, no remembered peers, and the node's own random choices
// seeded from the run's seed.
func (f *starlingFleet) config(i int) node.Config {
	p, sn := f.p, f.p.nodes[i]
	cfg := node.Config{
		User:              f.keys[i].user,
		TransportKey:      f.keys[i].transport,
		StoreEngine:       store.EngineMemory,
		ListenAddrs:       []ma.Multiaddr{p.listenAddr(i)},
		Transports:        append(f.w.transports(i), libp2p.BandwidthReporter(f.meters[i])),
		DisableKnownPeers: true,
		SyncInterval:      p.sc.Node.SyncInterval.D(),
		RegossipWindow:    p.sc.Node.RegossipWindow.D(),
		Seed:              p.nodeSeed(i),
		Logger:            f.log.With("node", sn.Name),
		// Nobody reads a simulated screen: an attendee's node acknowledges
		// an alert as it arrives, as if its person saw it.
		AckAlerts: sn.Role == RoleAttendee,
		Verified:  f.verified,
	}
	switch {
	case f.dir != "":
		cfg.StoreDir, cfg.StoreEngine = filepath.Join(f.dir, sn.Name), store.EngineBadger
	case p.sc.Node.Store == StoreBadgerMemory:
		cfg.StoreEngine = store.EngineBadger
		cfg.StoreMemTableSize, cfg.StoreNoCompaction = store.MinMemTableSize, true
	}
	for _, j := range sn.Peers {
		cfg.Peers = append(cfg.Peers, addrInfo(p, f.keys, j))
	}
	if sn.Role == RoleRelay {
		cfg.RelayService = &peering.RelayService{MeshDegree: p.sc.Node.RelayMeshDegree}
	} else {
		for _, r := range sn.Relays {
			cfg.Relays = append(cfg.Relays, addrInfo(p, f.keys, r))
		}
	}
	return cfg
}

// joinGroups puts members in their groups and relays in all of them: an
// open channel by name; a private or announce group by the invite link of
// its owner, who creates it (for relays, a private group's carrier link).
func (f *starlingFleet) joinGroups(ctx context.Context) error {
	for gi, g := range f.p.groups {
		ref, link, carrier := g.Name, g.Name, g.Name
		if created(g.Kind) {
			kind := group.KindPrivate
			if g.Kind == GroupAnnounce {
				kind = group.KindAnnounce
			}
			owner := f.nodes[g.Owner]
			sg, err := owner.CreateGroup(ctx, kind, g.Name, time.Time{})
			if err != nil {
				return fmt.Errorf("create group %s: %w", g.Name, err)
			}
			ref = sg.ID.String()
			f.refs[g.Owner][gi] = ref
			if link, err = owner.Moderation().Invite(ref, nil); err != nil {
				return fmt.Errorf("invite to %s: %w", g.Name, err)
			}
			carrier = link
			if g.Kind == GroupPrivate {
				if carrier, err = owner.Moderation().CarrierInvite(ref, nil); err != nil {
					return fmt.Errorf("carrier invite to %s: %w", g.Name, err)
				}
			}
		}
		join := func(i int, how string) error {
			if f.refs[i][gi] != "" {
				return nil
			}
			if _, err := f.nodes[i].Join(ctx, how); err != nil {
				return fmt.Errorf("%s joins %s: %w", f.p.nodes[i].Name, g.Name, err)
			}
			f.refs[i][gi] = ref
			return nil
		}
		for _, m := range g.Members {
			if err := join(m, link); err != nil {
				return err
			}
		}
		for _, r := range f.p.relays {
			if err := join(r, carrier); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *starlingFleet) send(ctx context.Context, m planMsg) error {
	n, ref := f.nodes[m.Sender], f.refs[m.Sender][m.Group]
	send := n.Send
	if m.Alert {
		send = n.Alerts().Send
	}
	msg, _, err := send(ctx, ref, text(m))
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.ids[m.Index] = msg.ID
	f.mu.Unlock()
	if m.Alert {
		f.runs.Go(func() { f.sampleReach(m, msg) })
	}
	return nil
}

// text is a planned message's text: unique (two texts of one author in the
// same millisecond must not share an ID) and m.Size bytes long.
func text(m planMsg) string {
	head := fmt.Sprintf("sim message %d ", m.Index)
	if len(head) >= m.Size {
		return head[:m.Size]
	}
	return head + strings.Repeat("x", m.Size-len(head))
}

func (f *starlingFleet) delivered() int {
	total := 0
	for _, n := range f.nodes {
		total += int(n.GossipStats().Delivered)
	}
	return total
}

// deliveries reads every member's store: a message's ReceivedAt is when
// gossip or catch-up handed it to the store, its origin says which.
func (f *starlingFleet) deliveries(start time.Time) [][]delivery {
	f.mu.Lock()
	f.origin = start
	f.mu.Unlock()
	out := make([][]delivery, len(f.p.msgs))
	for _, m := range f.p.msgs {
		f.mu.Lock()
		id, ok := f.ids[m.Index]
		f.mu.Unlock()
		if !ok {
			continue
		}
		members := f.p.groups[m.Group].Members
		ds := make([]delivery, 0, len(members))
		for _, v := range members {
			if v == m.Sender {
				continue
			}
			st, err := f.nodes[v].Store().Get(id)
			if err != nil {
				continue
			}
			ds = append(ds, newDelivery(v, st.ReceivedAt.Sub(start), st.Origin == store.OriginCatchup))
		}
		if 2*len(ds) < cap(ds) {
			ds = slices.Clone(ds) // most members never got it: hold only what is there
		}
		out[m.Index] = ds
	}
	return out
}

func (f *starlingFleet) counters(i int) nodeCounters {
	n := f.nodes[i]
	gs, cs := n.GossipStats(), n.CatchupStats()
	in, out := f.w.traffic(i)
	return nodeCounters{
		bytesIn: in, bytesOut: out,
		duplicates:      int64(gs.Duplicates + gs.IgnoredSeen),
		catchupBytes:    f.meters[i].catchupBytes(),
		queueDrops:      gs.DroppedValidation + gs.DroppedPeerQueue + gs.DroppedSubscription,
		catchupSessions: cs.Sessions,
		catchupMessages: cs.Messages,
	}
}

func (f *starlingFleet) spam() spamFormat { return starlingSpam{} }

func (f *starlingFleet) health(at time.Duration) []event {
	hosts := make([]host.Host, len(f.nodes))
	for i, n := range f.nodes {
		hosts[i] = n.Host()
	}
	g := f.p.groups[0]
	gid := groupID(f, g)
	out := connectivity(f.p, hosts, func(i int) (int, bool) {
		return len(f.nodes[i].MeshPeers(gid)), g.in[i]
	}, at)
	out = append(out, f.drops(at)...)
	return append(out, f.alertEvents(at)...)
}

// drops breaks GossipSub's queue drops down by queue, with the node that
// dropped most.
func (f *starlingFleet) drops(at time.Duration) []event {
	var val, peerQ, sub, repairs uint64
	worst, most := 0, uint64(0)
	for i, n := range f.nodes {
		s := n.GossipStats()
		val, peerQ, sub = val+s.DroppedValidation, peerQ+s.DroppedPeerQueue, sub+s.DroppedSubscription
		repairs += s.SendRepairs
		if d := s.DroppedValidation + s.DroppedPeerQueue + s.DroppedSubscription; d > most {
			worst, most = i, d
		}
	}
	if most == 0 {
		return nil
	}
	return []event{{At: at, Kind: EventHealth, Detail: fmt.Sprintf(
		"GossipSub dropped %d messages on full validation queues, %d RPCs on full or missing peer queues and %d on full subscription buffers; most at %s (%d); %d connections were reset because pubsub held no stream to the peer",
		val, peerQ, sub, f.p.nodes[worst].Name, most, repairs)}}
}

// groupID is the ID of group g as the nodes know it.
func groupID(f *starlingFleet, g planGroup) message.GroupID {
	gid, err := f.nodes[g.Owner].ResolveGroup(f.refs[g.Owner][f.p.groupIndex(g.Name)])
	if err != nil {
		return message.GroupID{}
	}
	return gid.ID
}

// close stops the attendees, then the relays once they have seen them go
// (at most relayDrain later). A relay that leaves its groups with thousands
// of attendees in its meshes prunes each with peer exchange, scoring every
// peer for each one: n² scores per relay and group, 14 % of the CPU of a
// 1,000-attendee hall's start and stop, and most of an hour at 10,000.
func (f *starlingFleet) close() error {
	if f.cancel != nil {
		f.stopAttendees()
		f.attendeeRuns.Wait()
		f.awaitRelaysAlone()
		f.cancel()
		f.runs.Wait()
	} else {
		for _, n := range f.nodes {
			if n != nil {
				f.errs = append(f.errs, n.Close())
			}
		}
	}
	if f.dir != "" {
		f.errs = append(f.errs, os.RemoveAll(f.dir))
	}
	f.errMu.Lock()
	defer f.errMu.Unlock()
	return errors.Join(f.errs...)
}

// relayDrain bounds how long close waits for the relays to see the
// attendees go.
const relayDrain = 5 * time.Second

// awaitRelaysAlone waits, at most relayDrain, until no relay holds more
// peers than the other relays: the attendees have gone.
func (f *starlingFleet) awaitRelaysAlone() {
	deadline := time.Now().Add(relayDrain)
	for {
		alone := true
		for _, r := range f.p.relays {
			if len(f.nodes[r].Host().Network().Peers()) >= len(f.p.relays) {
				alone = false
				break
			}
		}
		if alone || !time.Now().Before(deadline) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var _ fleet = (*starlingFleet)(nil)

// peerIDs lists the peer IDs of nodes.
func peerIDs(keys []nodeKeys, nodes []int) []peer.ID {
	out := make([]peer.ID, len(nodes))
	for i, n := range nodes {
		out[i] = keys[n].id
	}
	return out
}
