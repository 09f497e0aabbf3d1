package node

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/catchup"
	"starling/message"
	"starling/peering"
	"starling/store"
)

// Catch-up scheduling. Sessions start when a peer joins a group's topic,
// every SyncInterval with a random peer of each group that this node may
// differ from (quiet.go), and on demand.
const (
	// minSyncGap keeps the periodic round from repeating a session that
	// just ran. A peer (re)joining a group always starts one: that is when
	// the two may have diverged.
	minSyncGap = 10 * time.Second
	// maxConcurrentSyncs bounds the sessions this node starts at once.
	maxConcurrentSyncs = 4
	// syncQueue bounds pending automatic sessions; when it is full a
	// request is dropped, and the periodic round makes up for it.
	syncQueue = 256
	// joinSyncDelay lets the outbox and the GossipSub mesh go first when a
	// peer joins a group.
	joinSyncDelay = 2 * time.Second
	// maxOnDemandPeers bounds the peers `starling sync` asks per group.
	maxOnDemandPeers = 8
	// maxRepeats bounds how often a session runs again at once because the
	// group learnt an epoch key while it ran.
	maxRepeats = 2
	// slowCooldown is how long the node leaves a peer alone after a session
	// with it ended because the peer answered too slowly (or timed out):
	// automatic sessions go to the group's other peers meanwhile, so slow
	// peers cannot hold the node's few outbound sessions. `starling sync`
	// still asks it.
	slowCooldown = 5 * time.Minute
	// maxSlowPeers and maxTried bound the syncer's per-peer maps: a slow
	// peer is forgotten first when its cooldown ends, then the one whose
	// cooldown ends soonest; a start time older than minSyncGap means
	// nothing and is dropped.
	maxSlowPeers = 1024
	maxTried     = 4096
	// followUpDelay is how long after a session that failed or stopped
	// short, or after live gossip ignored a peer's messages for exceeding
	// the rate limit, the node catches up with that peer again. So a burst
	// beyond the live limit, or a session cut by a flaky link, completes
	// within seconds rather than at the next periodic round.
	followUpDelay = 5 * time.Second
)

type syncKey struct {
	group message.GroupID
	peer  peer.ID
}

// syncRequest asks for a session; force skips the minSyncGap rule.
type syncRequest struct {
	syncKey
	force bool
}

// syncer owns the catch-up bookkeeping. Its mutex guards the maps.
type syncer struct {
	// queue holds pointers: syncQueue requests by value would be most of
	// an idle simulated node's catch-up memory.
	queue chan *syncRequest

	mu      sync.Mutex
	last    map[message.GroupID]catchup.Result // last completed session per group
	tried   map[syncKey]time.Time              // last start per group and peer, within minSyncGap
	running map[syncKey]bool
	pending map[syncKey]bool      // a follow-up is scheduled
	slow    map[peer.ID]time.Time // until when a slow peer is left alone
	// keys counts the epoch keys each group learnt; a session during which
	// it rose and that ignored messages runs again (syncOne).
	keys map[message.GroupID]uint64
	// confirmed holds the groups whose whole state this node knows without
	// a session: the ones it created since it started (see groupConfirmed).
	confirmed map[message.GroupID]bool
	// steps notes the peers found in step per group (quiet.go); rounds
	// counts the groups' periodic rounds, skipped those that started no
	// session for it.
	steps           map[syncKey]stepNote
	rounds, skipped uint64
}

func newSyncer() *syncer {
	return &syncer{
		queue:     make(chan *syncRequest, syncQueue),
		last:      map[message.GroupID]catchup.Result{},
		tried:     map[syncKey]time.Time{},
		running:   map[syncKey]bool{},
		pending:   map[syncKey]bool{},
		slow:      map[peer.ID]time.Time{},
		keys:      map[message.GroupID]uint64{},
		confirmed: map[message.GroupID]bool{},
		steps:     map[syncKey]stepNote{},
	}
}

func (s *syncer) confirm(g message.GroupID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.confirmed[g] = true
}

func (s *syncer) isConfirmed(g message.GroupID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.confirmed[g]
}

// markSlow leaves p alone for slowCooldown from now.
func (s *syncer) markSlow(p peer.ID, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.slow) >= maxSlowPeers {
		for q, until := range s.slow {
			if !now.Before(until) {
				delete(s.slow, q)
			}
		}
	}
	for len(s.slow) >= maxSlowPeers {
		var first peer.ID
		var end time.Time
		for q, until := range s.slow {
			if end.IsZero() || until.Before(end) {
				first, end = q, until
			}
		}
		delete(s.slow, first)
	}
	s.slow[p] = now.Add(slowCooldown)
}

// cooling reports whether p is left alone now.
func (s *syncer) cooling(p peer.ID, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.slow[p]
	if ok && !now.Before(until) {
		delete(s.slow, p)
		return false
	}
	return ok
}

// request asks for an automatic session without blocking.
func (s *syncer) request(r syncRequest) {
	select {
	case s.queue <- &r:
	default:
	}
}

// claim marks a session as started unless one runs or ran too recently;
// force skips the recency rule.
func (s *syncer) claim(k syncKey, now time.Time, force bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[k] || (!force && now.Sub(s.tried[k]) < minSyncGap) {
		return false
	}
	if len(s.tried) >= maxTried {
		for q, at := range s.tried {
			if now.Sub(at) >= minSyncGap {
				delete(s.tried, q)
			}
		}
	}
	s.running[k] = true
	s.tried[k] = now
	return true
}

func (s *syncer) done(k syncKey, res catchup.Result, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, k)
	if err == nil {
		s.last[k.group] = res
	}
}

// schedule marks a follow-up for k as pending; false if one already is.
func (s *syncer) schedule(k syncKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[k] {
		return false
	}
	s.pending[k] = true
	return true
}

func (s *syncer) unschedule(k syncKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, k)
}

// keyLearnt counts a new epoch key of group g.
func (s *syncer) keyLearnt(g message.GroupID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[g]++
}

func (s *syncer) keyCount(g message.GroupID) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[g]
}

// LastSync returns the group's last completed catch-up session.
func (n *Node) LastSync(g message.GroupID) (catchup.Result, bool) {
	n.sync.mu.Lock()
	defer n.sync.mu.Unlock()
	r, ok := n.sync.last[g]
	return r, ok
}

// peerJoined is gossip's OnPeerJoin: queued messages may now go out, and
// the two nodes reconcile the group. Both see the join; the one with the
// smaller peer ID starts the session, which moves messages both ways. It
// starts after joinSyncDelay, so that queued messages go out by gossip
// first: a message that arrives by catch-up is stored but not relayed, and
// once stored its gossip copy is ignored, so it would reach only the peer
// that caught up.
func (n *Node) peerJoined(g message.GroupID, p peer.ID) {
	n.kickOutbox()
	// A private group whose state this node has not confirmed since it
	// started holds its own messages back (confirmed): it starts a session
	// itself rather than wait for the peer to.
	if n.host.ID() < p || !n.groupConfirmed(g) {
		n.after(joinSyncDelay, func() { n.sync.request(syncRequest{syncKey{g, p}, true}) })
	}
}

// runSyncs starts queued sessions, at most maxConcurrentSyncs at a time,
// and every SyncInterval (jittered) one with a random peer of each group.
func (n *Node) runSyncs(ctx context.Context) {
	sem := make(chan struct{}, maxConcurrentSyncs)
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(n.rand.Jitter(n.cfg.SyncInterval))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			n.periodicSyncs()
			timer.Reset(n.rand.Jitter(n.cfg.SyncInterval))
		case r := <-n.sync.queue:
			if n.sync.cooling(r.peer, n.cfg.Clock()) && len(n.warmPeers(r.group)) > 0 {
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Go(func() {
				defer func() { <-sem }()
				n.syncOne(ctx, r.syncKey, r.force)
			})
		}
	}
}

// periodicSyncs starts one session per group with a random peer of it
// that this node may differ from: not one found in step at the group's
// current summary (quiet.go).
func (n *Node) periodicSyncs() {
	now := n.cfg.Clock()
	for _, g := range n.gossip.Joined() {
		peers := n.warmPeers(g)
		if len(peers) == 0 {
			peers = n.syncPeers(g)
		}
		if len(peers) == 0 {
			continue
		}
		sum := n.summary(g)
		peers = slices.DeleteFunc(peers, func(p peer.ID) bool { return n.sync.inStep(syncKey{g, p}, sum, now) })
		n.sync.round(len(peers) == 0)
		if len(peers) == 0 {
			continue
		}
		n.sync.request(syncRequest{syncKey{g, peers[n.rand.IntN(len(peers))]}, false})
	}
}

// syncPeers lists a group's topic peers that catch-up has not banned from
// the group, in peer ID order, so that a seeded node (Config.Seed) picks
// the same ones.
func (n *Node) syncPeers(g message.GroupID) []peer.ID {
	var out []peer.ID
	for _, p := range n.gossip.Peers(g) {
		if !n.catchup.Banned(p, g) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// warmPeers lists the group's sync peers that are not left alone for being
// slow. Automatic sessions skip a slow peer only while the group has such
// others: a group whose only peer is slow still catches up, slowly.
func (n *Node) warmPeers(g message.GroupID) []peer.ID {
	now := n.cfg.Clock()
	return slices.DeleteFunc(n.syncPeers(g), func(p peer.ID) bool { return n.sync.cooling(p, now) })
}

// syncOne runs one session unless the same one runs or ran just now.
func (n *Node) syncOne(ctx context.Context, k syncKey, force bool) (catchup.Result, error) {
	if !n.sync.claim(k, n.cfg.Clock(), force) {
		return catchup.Result{Peer: k.peer, Group: k.group}, errSyncSkipped
	}
	// Catch-up judges a batch before it stores any of it, so messages sealed
	// under a key whose Rekey came in the same batch are ignored; once the
	// Rekey is applied, the session runs again to fetch them.
	var (
		res catchup.Result
		err error
		sum summary // before the session: what arrives meanwhile it did not compare
	)
	for range maxRepeats + 1 {
		keys := n.sync.keyCount(k.group)
		sum = n.summary(k.group)
		res, err = n.catchup.Sync(ctx, k.peer, k.group)
		if err != nil || res.Ignored == 0 || n.sync.keyCount(k.group) == keys {
			break
		}
	}
	n.sync.done(k, res, err)
	n.sync.noteStep(k, inStepResult(res, err), sum, n.cfg.Clock())
	if tooSlow(err) {
		n.sync.markSlow(k.peer, n.cfg.Clock())
	}
	if err == nil && res.Complete {
		n.deliveries.Synced(k.group, k.peer, n.peers.IsRelay(k.peer), res.Started)
		// A private group's messages held back until now may go out, and
		// a profile a stale view held back too.
		n.kickOutbox()
		n.publishProfile(k.group)
	}
	if ctx.Err() == nil && worthRetrying(res, err) {
		n.followUp(k)
	}
	switch {
	case err != nil && ctx.Err() == nil:
		n.log.Debug("catch-up failed", "group", k.group.Short(), "peer", peering.Short(k.peer), "err", err)
	case err == nil && (res.Fetched > 0 || res.Pushed > 0):
		n.log.Info("caught up", "result", res)
	default:
		n.log.Debug("caught up", "result", res)
	}
	return res, err
}

var errSyncSkipped = errors.New("a catch-up session with this peer runs or ran moments ago")

// tooSlow: the session ended because the peer answered too slowly or not
// in time.
func tooSlow(err error) bool {
	var ne net.Error
	return errors.Is(err, catchup.ErrSlow) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// worthRetrying: the session stopped before finding every difference, or
// failed for a reason that may pass (a timeout, a busy or slow peer), not
// because the peer misbehaved, left the group or is banned. A slow peer's
// follow-up is dropped while the group has other peers (runSyncs).
func worthRetrying(res catchup.Result, err error) bool {
	if err == nil {
		return !res.Complete
	}
	for _, final := range []error{errSyncSkipped, catchup.ErrMisbehaving, catchup.ErrNotInGroup, catchup.ErrBanned} {
		if errors.Is(err, final) {
			return false
		}
	}
	return true
}

// followUp catches up with k's peer again after followUpDelay, if it is
// still a peer of the group then; one follow-up per peer and group is
// pending at a time.
func (n *Node) followUp(k syncKey) {
	if !n.sync.schedule(k) {
		return
	}
	n.after(followUpDelay, func() {
		n.sync.unschedule(k)
		if n.ctx.Err() == nil && slices.Contains(n.syncPeers(k.group), k.peer) {
			n.sync.request(syncRequest{k, true})
		}
	})
}

// Sync catches up now: for the group named by ref (every joined group when
// ref is empty) with each of its peers, up to eight per group, in turn. Each
// session's outcome is in its Result's Err.
func (n *Node) Sync(ctx context.Context, ref string) ([]catchup.Result, error) {
	var groups []message.GroupID
	if ref == "" {
		groups = n.gossip.Joined()
	} else {
		g, err := resolveGroup(n.store, ref)
		if err != nil {
			return nil, err
		}
		groups = []message.GroupID{g.ID}
	}
	results := []catchup.Result{}
	for _, g := range groups {
		peers := n.syncPeers(g)
		n.rand.Shuffle(len(peers), func(i, j int) { peers[i], peers[j] = peers[j], peers[i] })
		for _, p := range peers[:min(len(peers), maxOnDemandPeers)] {
			res, err := n.syncOne(ctx, syncKey{g, p}, true)
			res.Err = err
			results = append(results, res)
		}
	}
	return results, ctx.Err()
}

// resync starts a session with each of g's peers now that g learnt an
// epoch key: messages ignored for want of it, by gossip or by a session
// with another peer, may open now.
func (n *Node) resync(g message.GroupID) {
	for _, p := range n.syncPeers(g) {
		n.sync.request(syncRequest{syncKey{g, p}, true})
	}
}

// view is catch-up's Config.View: it changes when the group's state
// records anything (an Op or part, a profile, a tombstone, a key) or the
// block list changes, any of which may make a message this node ignored
// acceptable.
func (n *Node) view(g message.GroupID) uint64 {
	n.blocks.mu.RLock()
	v := n.blocks.gen
	n.blocks.mu.RUnlock()
	if st := n.groups.get(g); st != nil {
		v += st.Generation()
	}
	return v
}

// joined tells catch-up whether this node is in a group.
func (n *Node) joined(g message.GroupID) bool { return n.groups.get(g) != nil }

// penalize is catch-up's report of a peer it cut off for something
// provable (a broken protocol, a message the rules reject): catch-up bans
// it from that group alone, and its gossip score drops as gossip's own
// would for an invalid message. The connection stays: the peer may serve
// the node's other groups.
func (n *Node) penalize(p peer.ID, g message.GroupID, reason string) {
	n.log.Warn("peer misbehaved in catch-up; banned from the group's catch-up", "peer", peering.Short(p), "group", g.Short(), "reason", reason)
	n.penalties.add(p)
}

// storeVersions counts the changes to each group's stored set, so that
// catch-up sessions share one snapshot of a group while it stays the same.
// It holds one counter per group ever stored to (the joined groups).
type storeVersions struct {
	mu      sync.Mutex
	groups  map[message.GroupID]uint64
	deletes uint64 // deletions name no group; they change every version
}

func newStoreVersions() *storeVersions {
	return &storeVersions{groups: map[message.GroupID]uint64{}}
}

// version is catch-up's Config.Version.
func (v *storeVersions) version(g message.GroupID) uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.groups[g] + v.deletes
}

// stored is the store's OnStored: it counts the change and tells
// admission, then hands the batch to onStored.
func (n *Node) stored(batch []store.Stored) {
	n.versions.mu.Lock()
	for _, s := range batch {
		n.versions.groups[s.Msg.Body.Group]++
	}
	n.versions.mu.Unlock()
	n.admit.Stored(batch)
	n.clockSamples(batch)
	n.onStored(batch)
	n.alertsStored(batch)
	n.regossipLearnt(batch)
}

// deleted is the store's OnDeleted.
func (n *Node) deleted([]message.ID) {
	n.versions.mu.Lock()
	n.versions.deletes++
	n.versions.mu.Unlock()
}
