package schedule

import (
	"context"
	"errors"
	"net"
	"slices"
	"starling/catchup"
	"starling/message"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Last returns the group's last completed session.
func (s *Scheduler) Last(g message.GroupID) (catchup.Result, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.last[g]
	return r, ok
}

// PeerJoined is for gossip's OnPeerJoin: queued messages may now go out, and
// the two nodes reconcile the group. Both see the join; the one with the
// smaller peer ID starts the session, which moves messages both ways. It
// starts after joinSyncDelay, so that queued messages go out by gossip
// first: a message that arrives by catch-up is stored but not relayed, and
// once stored its gossip copy is ignored, so it would reach only the peer
// that caught up.
func (s *Scheduler) PeerJoined(g message.GroupID, p peer.ID) {
	s.cfg.Node.KickOutbox()
	// A private group whose state this node has not confirmed since it
	// started holds its own messages back (confirmed): it starts a session
	// itself rather than wait for the peer to.
	if s.cfg.Node.Self() < p || !s.cfg.Node.Confirmed(g) {
		s.after(s.spread(joinSyncDelay), func(context.Context) { s.request(syncRequest{syncKey{g, p}, true}) })
	}
}

// Run starts queued sessions, at most maxConcurrentSyncs at a time,
// and every SyncInterval (jittered) one with a random peer of each group.
func (s *Scheduler) Run(ctx context.Context) {
	sem := make(chan struct{}, maxConcurrentSyncs)
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(s.cfg.Random.Jitter(s.cfg.Interval))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			s.periodicSyncs()
			timer.Reset(s.cfg.Random.Jitter(s.cfg.Interval))
		case r := <-s.queue:
			if s.cooling(r.peer, s.cfg.Clock()) && len(s.warmPeers(r.group)) > 0 {
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Go(func() {
				defer func() { <-sem }()
				s.syncOne(ctx, r.syncKey, r.force)
			})
		}
	}
}

// periodicSyncs starts one session per group with a random peer of it
// that this node may differ from: not one found in step at the group's
// current summary (quiet.go).
func (s *Scheduler) periodicSyncs() {
	now := s.cfg.Clock()
	for _, g := range s.cfg.Node.Joined() {
		peers := s.warmPeers(g)
		if len(peers) == 0 {
			peers = s.syncPeers(g)
		}
		if len(peers) == 0 {
			continue
		}
		sum := s.cfg.Node.Summary(g)
		peers = slices.DeleteFunc(peers, func(p peer.ID) bool { return s.inStep(syncKey{g, p}, sum, now) })
		s.round(len(peers) == 0)
		if len(peers) == 0 {
			continue
		}
		s.request(syncRequest{syncKey{g, peers[s.cfg.Random.IntN(len(peers))]}, false})
	}
}

// syncPeers lists a group's topic peers that catch-up has not banned from
// the group, in peer ID order, so that a seeded node (Config.Seed) picks
// the same ones.
func (s *Scheduler) syncPeers(g message.GroupID) []peer.ID {
	var out []peer.ID
	for _, p := range s.cfg.Node.TopicPeers(g) {
		if !s.cfg.Node.Banned(p, g) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// warmPeers lists the group's sync peers that are not left alone for being
// slow. Automatic sessions skip a slow peer only while the group has such
// others: a group whose only peer is slow still catches up, slowly.
func (s *Scheduler) warmPeers(g message.GroupID) []peer.ID {
	now := s.cfg.Clock()
	return slices.DeleteFunc(s.syncPeers(g), func(p peer.ID) bool { return s.cooling(p, now) })
}

// syncOne runs one session unless the same one runs or ran just now.
func (s *Scheduler) syncOne(ctx context.Context, k syncKey, force bool) (catchup.Result, error) {
	if !s.claim(k, s.cfg.Clock(), force) {
		return catchup.Result{Peer: k.peer, Group: k.group}, errSyncSkipped
	}
	// Catch-up judges a batch before it stores any of it, so messages sealed
	// under a key whose Rekey came in the same batch are ignored; once the
	// Rekey is applied, the session runs again to fetch them.
	var (
		res catchup.Result
		err error
		sum Summary // before the session: what arrives meanwhile it did not compare
	)
	for range maxRepeats + 1 {
		keys := s.keyCount(k.group)
		sum = s.cfg.Node.Summary(k.group)
		res, err = s.cfg.Node.Sync(ctx, k.peer, k.group)
		if err != nil || res.Ignored == 0 || s.keyCount(k.group) == keys {
			break
		}
	}
	s.done(k, res, err)
	s.noteStep(k, inStepResult(res, err), sum, s.cfg.Clock())
	if tooSlow(err) {
		s.markSlow(k.peer, s.cfg.Clock())
	}
	if err == nil && res.Complete {
		s.cfg.Node.Synced(k.group, k.peer, res)
	}
	if ctx.Err() == nil && worthRetrying(res, err) {
		s.followUp(k)
	}
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.Debug("catch-up failed", "group", k.group.Short(), "peer", k.peer.ShortString(), "err", err)
	case err == nil && (res.Fetched > 0 || res.Pushed > 0):
		s.log.Info("caught up", "result", res)
	default:
		s.log.Debug("caught up", "result", res)
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

// followUp catches up with k's peer again about followUpDelay later (see
// spread), if it is still a peer of the group then; one follow-up per peer
// and group is pending at a time.
func (s *Scheduler) followUp(k syncKey) {
	if !s.schedule(k) {
		return
	}
	s.after(s.spread(followUpDelay), func(ctx context.Context) {
		s.unschedule(k)
		if ctx.Err() == nil && slices.Contains(s.syncPeers(k.group), k.peer) {
			s.request(syncRequest{k, true})
		}
	})
}

// SyncNow catches up now with each of the groups' peers, up to eight per
// group, in turn. Each session's outcome is in its Result's Err.
func (s *Scheduler) SyncNow(ctx context.Context, groups []message.GroupID) ([]catchup.Result, error) {
	results := []catchup.Result{}
	for _, g := range groups {
		peers := s.syncPeers(g)
		s.cfg.Random.Shuffle(len(peers), func(i, j int) { peers[i], peers[j] = peers[j], peers[i] })
		for _, p := range peers[:min(len(peers), maxOnDemandPeers)] {
			res, err := s.syncOne(ctx, syncKey{g, p}, true)
			res.Err = err
			results = append(results, res)
		}
	}
	return results, ctx.Err()
}

// Resync starts a session with each of g's peers now that g learnt an
// epoch key: messages ignored for want of it, by gossip or by a session
// with another peer, may open now.
func (s *Scheduler) Resync(g message.GroupID) {
	for _, p := range s.syncPeers(g) {
		s.request(syncRequest{syncKey{g, p}, true})
	}
}
