package alerts

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/admission"
	"starling/group"
	"starling/message"
	"starling/store"
)

// Protocol is the stream protocol of alert offers, acknowledgements and
// their pulls.
const Protocol = "/starling/alert/1.0.0"

const (
	// alertLive is how long after it arrived a node re-offers an alert and
	// its organiser pulls acknowledgements.
	alertLive = 10 * time.Minute
	// alertMaxHeld bounds the alerts tracked; alertMaxAcks the acks held
	// per alert; alertMaxSeen the keys and the peers seen per group.
	alertMaxHeld = 64
	alertMaxAcks = 1 << 15
	alertMaxSeen = 1 << 16
	// alertSeenWindow: devices seen in this group in the last hour.
	alertSeenWindow = time.Hour
	// alertAckPeers: how many of the group's peers a device pushes its ack
	// to (relays first).
	alertAckPeers = 4
	// alertPushesPerPeer bounds the acks one peer pushes per alert (its
	// device's own, and a few of devices behind it).
	alertPushesPerPeer = 2
	// alertPullEvery is how often an organiser's node pulls acks while an
	// alert is live; alertPullBatch the acks in one answer.
	alertPullEvery = 3 * time.Second
	alertPullBatch = 512
	// alertStreamTimeout bounds one exchange.
	alertStreamTimeout = 10 * time.Second
	// alertParallel bounds the exchanges under way at once.
	alertParallel = 32
)

// alertOfferRounds: when, after a node got an alert, it offers it to the
// peers not known to hold it. After the last round it stops.
var alertOfferRounds = []time.Duration{2 * time.Second, 8 * time.Second, 30 * time.Second, 2 * time.Minute, 6 * time.Minute}

// Stats are the node's alert counters, for the relay's metrics.
type Stats struct {
	Held                 int
	AcksIn, AcksRejected uint64 // acks verified and held; refused
	OffersSent, Taken    uint64 // alerts offered; alerts a peer took
	PullsServed          uint64
}

type heldAlert struct {
	id     message.ID
	group  message.GroupID
	author ed25519.PublicKey
	text   string
	sentAt time.Time
	got    time.Time

	acks    map[[32]byte]bool  // verified ack keys: vouched for (holdAck)?
	raws    [][]byte           // the acks held, in arrival order (pulls read it)
	have    map[peer.ID]bool   // peers known to hold the alert
	offers  map[peer.ID]int    // offer rounds done per peer
	cursor  map[peer.ID]uint64 // how far this node pulled each peer
	pushes  map[peer.ID]int    // acks each peer pushed
	reports map[peer.ID]int    // devices each pulled peer saw
	round   int                // offer rounds done
	pulled  time.Time          // last pull
	acked   bool               // this device acknowledged it
	busy    map[peer.ID]bool   // an exchange with the peer is under way
	order   int                // arrival order, for eviction
}

type seenSet struct {
	keys  map[[32]byte]time.Time
	peers map[peer.ID]time.Time
}

// book is the node's alerts, their acks and the devices seen.
type book struct {
	mu     sync.Mutex
	alerts map[message.ID]*heldAlert
	next   int
	seen   map[message.GroupID]*seenSet
	sem    chan struct{}

	acksIn, acksRejected, offersSent, taken, pullsServed atomic.Uint64
}

func newBook() book {
	return book{
		alerts: map[message.ID]*heldAlert{},
		seen:   map[message.GroupID]*seenSet{},
		sem:    make(chan struct{}, alertParallel),
	}
}

func (b *book) seenLocked(g message.GroupID) *seenSet {
	s := b.seen[g]
	if s == nil {
		s = &seenSet{keys: map[[32]byte]time.Time{}, peers: map[peer.ID]time.Time{}}
		b.seen[g] = s
	}
	return s
}

// noteKey records that key was seen in g at now; beyond the bound the
// entries older than the window go first, then nothing new is noted.
func (s *seenSet) noteKey(k [32]byte, now time.Time) {
	if _, ok := s.keys[k]; !ok && len(s.keys) >= alertMaxSeen {
		prune(s.keys, now)
		if len(s.keys) >= alertMaxSeen {
			return
		}
	}
	s.keys[k] = now
}

func (s *seenSet) notePeer(p peer.ID, now time.Time) {
	if _, ok := s.peers[p]; !ok && len(s.peers) >= alertMaxSeen {
		prune(s.peers, now)
		if len(s.peers) >= alertMaxSeen {
			return
		}
	}
	s.peers[p] = now
}

func prune[K comparable](m map[K]time.Time, now time.Time) {
	for k, t := range m {
		if now.Sub(t) > alertSeenWindow {
			delete(m, k)
		}
	}
}

func countSince[K comparable](m map[K]time.Time, now time.Time) int {
	n := 0
	for _, t := range m {
		if now.Sub(t) <= alertSeenWindow {
			n++
		}
	}
	return n
}

// Stored notes the authors of a committed batch as seen and takes
// the alerts in it. On the store's writer goroutine: it does not block.
func (a *Service) Stored(batch []store.Stored) {
	now := a.cfg.Clock()
	var fresh []*heldAlert
	b := &a.book
	b.mu.Lock()
	for _, s := range batch {
		m := s.Msg
		if len(m.Body.Author) != ed25519.PublicKeySize {
			continue
		}
		st := a.cfg.Node.Group(m.Body.Group)
		if st == nil || st.IsChannel() {
			continue
		}
		b.seenLocked(m.Body.Group).noteKey([32]byte(m.Body.Author), now)
		if m.Body.Kind != message.KindAlert {
			continue
		}
		if _, ok := b.alerts[m.ID]; ok {
			continue
		}
		text := ""
		if c, err := st.Open(m); err == nil {
			if a, ok := c.(group.Alert); ok {
				text = a.Text
			}
		}
		h := &heldAlert{
			id: m.ID, group: m.Body.Group, author: slices.Clone(m.Body.Author), text: text,
			sentAt: m.Body.SentAt(), got: now,
			acks: map[[32]byte]bool{}, have: map[peer.ID]bool{}, offers: map[peer.ID]int{},
			cursor: map[peer.ID]uint64{}, pushes: map[peer.ID]int{}, reports: map[peer.ID]int{},
			busy: map[peer.ID]bool{}, order: b.next,
		}
		b.next++
		b.alerts[m.ID] = h
		b.evictLocked()
		fresh = append(fresh, h)
	}
	b.mu.Unlock()
	if len(fresh) > 0 {
		a.runs.Wake(func() { a.cfg.Go(a.rounds) })
		if a.cfg.AckAll {
			for _, h := range fresh {
				gid, id := h.group, h.id
				a.cfg.Go(func(ctx context.Context) { _ = a.Ack(ctx, gid, id) })
			}
		}
	}
}

// evictLocked forgets the oldest alerts beyond alertMaxHeld.
func (b *book) evictLocked() {
	for len(b.alerts) > alertMaxHeld {
		var oldest *heldAlert
		for _, h := range b.alerts {
			if oldest == nil || h.order < oldest.order {
				oldest = h
			}
		}
		delete(b.alerts, oldest.id)
	}
}

// ErrNotHeld: this node holds no such alert (yet). It wraps
// store.ErrNotFound.
var ErrNotHeld = fmt.Errorf("no such alert here: %w", store.ErrNotFound)

// Send sends an alert to the group ref names: the owner and admins
// only, AlertBurst per AlertWindow. It returns the message and how many
// peers took it by gossip.
func (a *Service) Send(ctx context.Context, ref, text string) (*message.Message, int, error) {
	st, err := a.cfg.Node.Resolve(ref)
	if err != nil {
		return nil, 0, err
	}
	if st.IsChannel() {
		return nil, 0, fmt.Errorf("%w: %s is an open channel, which has no owner or admins to send alerts; create a group (starling group create)", group.ErrNotAllowed, st.Name())
	}
	if !st.IsAdmin(a.cfg.User.PublicKey()) {
		return nil, 0, fmt.Errorf("%w: only the owner and admins of %s send alerts, and you are neither", group.ErrNotAllowed, st.Name())
	}
	if err := group.CheckAlertText(text); err != nil {
		return nil, 0, err
	}
	now := a.cfg.Clock()
	var mine []uint64
	a.mu.Lock()
	for _, h := range a.alerts {
		if h.group == st.ID() && bytes.Equal(h.author, a.cfg.User.PublicKey()) {
			mine = append(mine, message.TimeMS(h.sentAt))
		}
	}
	a.mu.Unlock()
	if err := admission.AlertAllowed(mine, message.TimeMS(now)); err != nil {
		return nil, 0, fmt.Errorf("%w: %w; every node would drop another one sent within %s of them", group.ErrRateLimited, err, admission.AlertWindow)
	}
	return a.cfg.Node.Send(ctx, ref, group.Alert{Text: text})
}

// Ack acknowledges that this device displayed the alert id of group
// gid: it signs an ack once, counts it and pushes it to a few of the
// group's peers, relays first. A second call does nothing.
func (a *Service) Ack(ctx context.Context, gid message.GroupID, id message.ID) error {
	st := a.cfg.Node.Group(gid)
	if st == nil {
		return fmt.Errorf("%w: %s", group.ErrNotJoined, gid.Short())
	}
	b := &a.book
	b.mu.Lock()
	h := b.alerts[id]
	switch {
	case h == nil || h.group != gid:
		b.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrNotHeld, id.Short())
	case h.acked:
		b.mu.Unlock()
		return nil
	}
	h.acked = true
	b.mu.Unlock()
	ack, err := st.ComposeAck(a.cfg.User, id, a.cfg.Clock())
	if err != nil {
		return err
	}
	a.holdAck(h, ack, a.cfg.Clock(), true)
	peers := a.cfg.Node.RelaysFirst(gid, alertAckPeers)
	for _, p := range peers {
		a.cfg.Go(func(ctx context.Context) { a.pushAck(ctx, p, ack) })
	}
	return nil
}

// holdAck counts a verified ack of h. vouched: it came straight from the
// device's own connection (a push, a few per peer), from an organiser
// relay that had it so, or is this device's own. It reports whether it
// was new.
func (a *Service) holdAck(h *heldAlert, ack *message.Message, now time.Time, vouched bool) bool {
	b := &a.book
	b.mu.Lock()
	defer b.mu.Unlock()
	k := [32]byte(ack.Body.Author)
	was, known := h.acks[k]
	switch {
	case known && (was || !vouched):
		return false
	case !known && len(h.acks) >= alertMaxAcks:
		return false
	}
	h.acks[k] = vouched
	if !known {
		h.raws = append(h.raws, ack.Raw)
		b.acksIn.Add(1)
	}
	if vouched {
		b.seenLocked(h.group).noteKey(k, now)
	}
	return !known
}

// knownMember: k is a member this node knows: it holds their profile, or
// saw them post in the group in the last hour.
func (a *Service) knownMember(st *group.State, s *seenSet, k [32]byte, now time.Time) bool {
	if t, ok := s.keys[k]; ok && now.Sub(t) <= alertSeenWindow {
		return true
	}
	_, ok := st.Profile(k[:])
	return ok
}

// List returns the alerts this node holds in the group ref names, newest
// first, with their reach.
func (a *Service) List(ref string) ([]group.AlertReach, error) {
	st, err := a.cfg.Node.Resolve(ref)
	if err != nil {
		return nil, err
	}
	return a.alertsOf(st), nil
}

func (a *Service) alertsOf(st *group.State) []group.AlertReach {
	now := a.cfg.Clock()
	a.noteTopicPeers(st, now)
	b := &a.book
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []group.AlertReach
	for _, h := range b.alerts {
		if h.group == st.ID() {
			out = append(out, a.reachLocked(st, h, now))
		}
	}
	slices.SortFunc(out, func(a, c group.AlertReach) int { return c.SentAt.Compare(a.SentAt) })
	return out
}

// Reach returns the reach of one alert this node holds.
func (a *Service) Reach(gid message.GroupID, id message.ID) (group.AlertReach, error) {
	st := a.cfg.Node.Group(gid)
	if st == nil {
		return group.AlertReach{}, fmt.Errorf("%w: %s", group.ErrNotJoined, gid.Short())
	}
	now := a.cfg.Clock()
	a.noteTopicPeers(st, now)
	b := &a.book
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.alerts[id]
	if h == nil || h.group != gid {
		return group.AlertReach{}, fmt.Errorf("%w: %s", ErrNotHeld, id.Short())
	}
	return a.reachLocked(st, h, now), nil
}

func (a *Service) reachLocked(st *group.State, h *heldAlert, now time.Time) group.AlertReach {
	s := a.seenLocked(h.group)
	acked := 0
	for k, vouched := range h.acks {
		if vouched || a.knownMember(st, s, k, now) {
			acked++
		}
	}
	devices := max(countSince(s.keys, now), countSince(s.peers, now))
	for _, r := range h.reports {
		devices = max(devices, r)
	}
	return group.AlertReach{
		ID: h.id, Group: h.group, Author: h.author, Text: h.text, SentAt: h.sentAt,
		Acked: min(acked, devices), Devices: devices, AckKeys: len(h.acks),
		YouAcked: h.acked, Live: now.Sub(h.got) < alertLive,
	}
}

// Stats returns the node's alert counters.
func (a *Service) Stats() Stats {
	b := &a.book
	b.mu.Lock()
	held := len(b.alerts)
	b.mu.Unlock()
	return Stats{
		Held: held, AcksIn: b.acksIn.Load(), AcksRejected: b.acksRejected.Load(),
		OffersSent: b.offersSent.Load(), Taken: b.taken.Load(), PullsServed: b.pullsServed.Load(),
	}
}

// All returns the reach of every alert this node holds, newest
// first (the relay's metrics).
func (a *Service) All() []group.AlertReach {
	var out []group.AlertReach
	for _, st := range a.cfg.Node.Groups() {
		out = append(out, a.alertsOf(st)...)
	}
	slices.SortFunc(out, func(a, c group.AlertReach) int { return c.SentAt.Compare(a.SentAt) })
	return out
}
