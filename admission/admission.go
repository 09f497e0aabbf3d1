package admission

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/bucket"
	"starling/message"
	"starling/store"
)

// Why a message was ignored. ErrThrottled alone is about the peer, not the
// message: the same message may be admitted later or from another peer.
var (
	ErrTooOld      = errors.New("dated before the group began")
	ErrRateLimited = errors.New("author is over the rate limit for that time")
	ErrSlowMode    = errors.New("author already posted in that slow-mode window")
	ErrAuthorFull  = errors.New("author is over their storage budget in the group")
	ErrGroupFull   = errors.New("group is over its storage budget")
	ErrThrottled   = errors.New("peer or its address is over its budget; try later")
)

// Final reports whether err refuses the message itself, under the group's
// current view, so that it need not be fetched again (every error but
// ErrThrottled and a failure of this node's own).
func Final(err error) bool {
	for _, e := range []error{ErrTooOld, ErrRateLimited, ErrSlowMode, ErrAuthorFull, ErrGroupFull, ErrAlertLimited} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Way is how a message came in.
type Way uint8

const (
	Gossip  Way = iota + 1 // live, on a group's topic
	Catchup                // fetched or pushed in a catch-up session
)

func (w Way) String() string {
	switch w {
	case Gossip:
		return "gossip"
	case Catchup:
		return "catchup"
	}
	return fmt.Sprintf("way(%d)", int(w))
}

// Source is who handed a message over.
type Source struct {
	Way  Way
	Peer peer.ID
	// Addr names the peer's address for the per-address budget (an IPv4
	// address, an IPv6 /64); "" counts the peer on its own.
	Addr string
	// Trusted marks an organiser relay this node trusts: it forwards
	// everyone's messages, so it has no peer or address budget.
	Trusted bool
}

// Group is what admission asks of a group's state; *group.State satisfies
// it. Methods are called concurrently.
type Group interface {
	ID() message.GroupID
	// IsAdmin reports whether pub is the owner or an admin now.
	IsAdmin(pub ed25519.PublicKey) bool
	// SlowMode is the group's slow mode, zero when off.
	SlowMode() time.Duration
}

// Admission holds the accounts. Safe for concurrent use.
type Admission struct {
	cfg    Config
	lim    Limits
	log    *slog.Logger
	window uint64 // ms of sent_at per rate window

	peers, addrs *bucket.Set // bytes
	recent       *recentIDs

	mu     sync.Mutex // guards groups; each group has its own lock
	groups map[message.GroupID]*groupAccount
}

// New validates cfg and fills its defaults.
func New(cfg Config) (*Admission, error) {
	if cfg.Store == nil {
		return nil, errors.New("admission: Config.Store is required")
	}
	cfg.Limits = cfg.Limits.WithDefaults(DefaultLimits)
	if err := cfg.Limits.validate(); err != nil {
		return nil, fmt.Errorf("admission: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	l := cfg.Limits
	return &Admission{
		cfg:    cfg,
		lim:    l,
		log:    cfg.Logger,
		window: max(1, uint64(float64(l.Burst)/l.Rate*1000)),
		peers:  bucket.NewSet(float64(l.PeerBurst), float64(l.PeerRate), l.MaxTracked, cfg.Clock),
		addrs:  bucket.NewSet(float64(l.AddrBurst), float64(l.AddrRate), l.MaxTracked, cfg.Clock),
		recent: newRecentIDs(1<<13, cfg.Clock),
		groups: make(map[message.GroupID]*groupAccount),
	}, nil
}

// Limits returns the limits in force, defaults filled in.
func (a *Admission) Limits() Limits { return a.lim }

// throttleFloor is what a peer's and its address's buckets must hold for
// Throttled to let its messages be verified at all.
const throttleFloor = 4 << 10

// Throttled reports whether src's peer or address has used up its budget
// (holds less than 4 KiB), so that a caller can stop before it verifies
// signatures.
func (a *Admission) Throttled(src Source) bool {
	if src.Trusted {
		return false
	}
	return !a.peers.Has(string(src.Peer), throttleFloor) || !a.addrs.Has(addrOf(src), throttleFloor)
}

func addrOf(src Source) string {
	if src.Addr == "" {
		return "peer " + string(src.Peer)
	}
	return src.Addr
}

// Admit judges m, which passed validation for group g, as it arrives from
// src, and charges the accounts when it returns Accept. A message admitted
// moments ago (the same one by gossip and by catch-up) is accepted again
// without a second charge.
func (a *Admission) Admit(src Source, g Group, m *message.Message) (message.Verdict, error) {
	if g.ID() != m.Body.Group {
		return message.Ignore, fmt.Errorf("admission: message of group %s judged for group %s", m.Body.Group.Short(), g.ID().Short())
	}
	if a.recent.has(m.ID) {
		return message.Accept, nil
	}
	ga, err := a.group(g.ID())
	if err != nil {
		return message.Ignore, err
	}
	now := a.cfg.Clock()
	privileged := a.privileged(g, m.Body.Author)
	size := int64(len(m.Raw))
	ga.mu.Lock()
	defer ga.mu.Unlock()
	if isAlert(m) && !a.isSelf(m.Body.Author) {
		var recent []uint64
		if au := ga.authors[key32(m.Body.Author)]; au != nil {
			recent = au.alerts
		}
		if err := AlertAllowed(recent, m.Body.SentAtMS); err != nil {
			return message.Ignore, err
		}
	}
	if !privileged {
		if err := a.checkLocked(src, g, ga, m, size, now); err != nil {
			return message.Ignore, err
		}
	}
	if err := a.roomLocked(g, ga, m, size, privileged, now); err != nil {
		return message.Ignore, err
	}
	if !privileged && !src.Trusted {
		a.peers.Take(string(src.Peer), float64(size))
		a.addrs.Take(addrOf(src), float64(size))
	}
	ga.addLocked(m, size, privileged && a.isSelf(m.Body.Author), a.rateWindow(m, g, privileged), now, a.lim.RateHorizon)
	a.recent.add(m.ID)
	return message.Accept, nil
}

// checkLocked applies the rules that bind everyone but the privileged:
// lower bound, rate and slow mode, author budget, peer and address budgets.
func (a *Admission) checkLocked(src Source, g Group, ga *groupAccount, m *message.Message, size int64, now time.Time) error {
	b := &m.Body
	if since := a.since(g.ID(), now); b.SentAtMS < since {
		return fmt.Errorf("%w: sent %s, the group accepts from %s", ErrTooOld, fmtMS(b.SentAtMS), fmtMS(since))
	}
	au := ga.authors[key32(b.Author)]
	if au == nil && len(ga.authors) >= a.lim.MaxAuthors && !ga.pruneLocked(a.lim.MaxAuthors) {
		return fmt.Errorf("%w: the group tracks %d authors already", ErrAuthorFull, a.lim.MaxAuthors)
	}
	if au != nil && !isAlert(m) && inHorizon(b.SentAtMS, now, a.lim.RateHorizon) {
		if au.windows.get(b.SentAtMS/a.window) >= uint16(a.lim.Burst) {
			return fmt.Errorf("%w: %d messages per %s", ErrRateLimited, a.lim.Burst, time.Duration(a.window)*time.Millisecond)
		}
		if slow := g.SlowMode(); slow > 0 && b.Kind == message.KindText {
			if _, used := au.slow[slowKey(b.SentAtMS, slow)]; used {
				return fmt.Errorf("%w: one text per %s", ErrSlowMode, slow)
			}
		}
	}
	if au != nil && au.bytes+size > a.lim.AuthorBytes {
		return fmt.Errorf("%w: %d of %d bytes used", ErrAuthorFull, au.bytes, a.lim.AuthorBytes)
	}
	if !src.Trusted && (!a.peers.Has(string(src.Peer), float64(size)) || !a.addrs.Has(addrOf(src), float64(size))) {
		return fmt.Errorf("%w: peer %s", ErrThrottled, src.Peer.ShortString())
	}
	return nil
}

// rateWindow says which slow-mode window m uses, 0 for none.
func (a *Admission) rateWindow(m *message.Message, g Group, privileged bool) time.Duration {
	if privileged || m.Body.Kind != message.KindText {
		return 0
	}
	return g.SlowMode()
}

func (a *Admission) privileged(g Group, author []byte) bool {
	return a.isSelf(author) || (len(author) == ed25519.PublicKeySize && g.IsAdmin(ed25519.PublicKey(author)))
}

func (a *Admission) isSelf(author []byte) bool {
	return len(a.cfg.Self) > 0 && bytes.Equal(author, a.cfg.Self)
}

// since is the group's lower bound for sent_at.
func (a *Admission) since(g message.GroupID, now time.Time) uint64 {
	if a.cfg.Since != nil {
		if ms, ok := a.cfg.Since(g); ok {
			return ms
		}
	}
	if lo := now.Add(-a.lim.History); lo.After(time.UnixMilli(0)) {
		return message.TimeMS(lo)
	}
	return 0
}

// Stored is told about every message the store committed; it counts this
// user's own messages (which take no admission) towards their group. It
// does not block: the store's writer calls it, and an eviction waits for
// that writer.
func (a *Admission) Stored(batch []store.Stored) {
	for _, s := range batch {
		if s.Origin != store.OriginOwn {
			continue
		}
		a.mu.Lock()
		ga := a.groups[s.Msg.Body.Group]
		a.mu.Unlock()
		if ga != nil { // otherwise its first count will see it
			ga.ownBytes.Add(int64(len(s.Msg.Raw)))
		}
	}
}

// Forget drops a group's accounts (the node left it).
func (a *Admission) Forget(g message.GroupID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.groups, g)
}

// GroupBytes reports what admission counts as stored in a group.
func (a *Admission) GroupBytes(g message.GroupID) int64 {
	ga, err := a.group(g)
	if err != nil {
		return 0
	}
	ga.mu.Lock()
	defer ga.mu.Unlock()
	ga.foldOwnLocked()
	return ga.bytes
}

func fmtMS(ms uint64) string { return time.UnixMilli(int64(ms)).UTC().Format(time.RFC3339) }

func inHorizon(sentAtMS uint64, now time.Time, horizon time.Duration) bool {
	return sentAtMS >= message.TimeMS(now.Add(-horizon))
}

func slowKey(sentAtMS uint64, slow time.Duration) uint64 {
	return sentAtMS / max(1, uint64(slow.Milliseconds()))
}
