package catchup

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/message"
)

// maxBans bounds the bans remembered. Each is a peer that broke the
// protocol or sent a provably invalid message within BanTime; when more
// than this many did, the bans closest to their end are forgotten first.
const maxBans = 4096

// anyGroup is the group of a ban that holds in every group: the peer broke
// the protocol before its Hello named a group.
var anyGroup message.GroupID

// banKey is a ban's scope. A peer that misbehaved in one group is refused
// sessions of that group only.
type banKey struct {
	peer  peer.ID
	group message.GroupID
}

// bans remembers when each ban ends. Safe for concurrent use.
type bans struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	until map[banKey]time.Time
}

func newBans(ttl time.Duration, now func() time.Time) *bans {
	return &bans{ttl: ttl, now: now, until: make(map[banKey]time.Time)}
}

// banned reports whether p is refused sessions of group g now.
func (b *bans) banned(p peer.ID, g message.GroupID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	return b.activeLocked(banKey{p, g}, now) || b.activeLocked(banKey{p, anyGroup}, now)
}

func (b *bans) activeLocked(k banKey, now time.Time) bool {
	until, ok := b.until[k]
	if ok && !now.Before(until) {
		delete(b.until, k)
		return false
	}
	return ok
}

// ban refuses p sessions of g (anyGroup: of every group) for BanTime from
// now.
func (b *bans) ban(p peer.ID, g message.GroupID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if len(b.until) >= maxBans {
		for k, until := range b.until {
			if !now.Before(until) {
				delete(b.until, k)
			}
		}
	}
	for len(b.until) >= maxBans {
		var first banKey
		var end time.Time
		for k, until := range b.until {
			if end.IsZero() || until.Before(end) {
				first, end = k, until
			}
		}
		delete(b.until, first)
	}
	b.until[banKey{p, g}] = now.Add(b.ttl)
}
