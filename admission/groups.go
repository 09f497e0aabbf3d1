package admission

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"starling/message"
	"starling/store"
)

type key32 = [32]byte

// groupAccount is one group's storage and its authors'. Its fields are
// guarded by mu.
type groupAccount struct {
	id     message.GroupID
	window uint64 // ms of sent_at per rate window
	mu     sync.Mutex

	loaded   bool
	bytes    int64
	ownBytes atomic.Int64 // this user's messages stored since; folded into bytes
	authors  map[key32]*authorAccount
	recount  time.Time // when bytes was last counted from the store
	evictedT uint64    // sent_at of the newest text evicted for room
}

// authorAccount is what one author stores in a group and the sent_at
// windows they used.
type authorAccount struct {
	bytes   int64
	self    bool                // this user: never pruned
	windows windowCounts        // rate window -> messages
	slow    map[uint64]struct{} // slow-mode windows with a text
	alerts  []uint64            // sent_at of recent alerts (alerts.go)
}

// windowCounts counts an author's messages per rate window. It is a short
// slice searched in order: an author uses few windows within the horizon
// (forgetOld keeps them under about forgetWindowsAt), and a map of one
// entry cost about 200 bytes per author in every node, for the simulator's
// thousands of nodes each tracking every sender.
type windowCounts []windowCount

type windowCount struct {
	w uint64
	n uint16
}

// get returns window w's count.
func (c windowCounts) get(w uint64) uint16 {
	for _, x := range c {
		if x.w == w {
			return x.n
		}
	}
	return 0
}

// raise makes window w's count at least n.
func (c *windowCounts) raise(w uint64, n uint16) {
	for i := range *c {
		if (*c)[i].w == w {
			(*c)[i].n = max((*c)[i].n, n)
			return
		}
	}
	*c = append(*c, windowCount{w, n})
}

// group returns g's account, built from the store on first use.
func (a *Admission) group(g message.GroupID) (*groupAccount, error) {
	a.mu.Lock()
	ga := a.groups[g]
	if ga == nil {
		ga = &groupAccount{id: g, window: a.window, authors: make(map[key32]*authorAccount)}
		a.groups[g] = ga
	}
	a.mu.Unlock()
	ga.mu.Lock()
	defer ga.mu.Unlock()
	if !ga.loaded {
		if err := a.loadLocked(ga); err != nil {
			return nil, err
		}
	}
	return ga, nil
}

// loadLocked counts the group's stored messages afresh: bytes per author
// and in all, and the rate windows within the horizon.
func (a *Admission) loadLocked(ga *groupAccount) error {
	now := a.cfg.Clock()
	authors := make(map[key32]*authorAccount, len(ga.authors))
	var total int64
	err := a.scan(ga.id, func(s store.Stored) bool {
		m := s.Msg
		size := int64(len(m.Raw))
		total += size
		au := authors[key32(m.Body.Author)]
		if au == nil {
			au = &authorAccount{}
			authors[key32(m.Body.Author)] = au
		}
		au.bytes += size
		au.self = au.self || a.isSelf(m.Body.Author)
		if isAlert(m) {
			au.noteAlert(m.Body.SentAtMS)
		} else if inHorizon(m.Body.SentAtMS, now, a.lim.RateHorizon) {
			au.window(m.Body.SentAtMS / a.window)
		}
		au.forgetOld(message.TimeMS(now.Add(-a.lim.RateHorizon)), a.window, 0)
		return true
	})
	if err != nil {
		return fmt.Errorf("admission: count group %s: %w", ga.id.Short(), err)
	}
	// Slow-mode windows and windows of messages not stored (evicted) are
	// this process's alone; keep them.
	for k, old := range ga.authors {
		au := authors[k]
		if au == nil {
			au = &authorAccount{}
			authors[k] = au
		}
		for _, x := range old.windows {
			au.windows.raise(x.w, x.n)
		}
		if len(old.slow) > 0 && au.slow == nil {
			au.slow = old.slow
		}
		for _, t := range old.alerts {
			au.noteAlert(t)
		}
	}
	ga.ownBytes.Store(0) // the scan counted them
	ga.authors, ga.bytes, ga.recount, ga.loaded = authors, total, now, true
	return nil
}

// scan calls fn for each stored message of g, oldest first, until fn
// returns false.
func (a *Admission) scan(g message.GroupID, fn func(store.Stored) bool) error {
	q := store.Query{Group: g, Limit: store.MaxQueryLimit}
	for {
		page, err := a.cfg.Store.History(q)
		if err != nil {
			return err
		}
		for _, s := range page.Messages {
			if !fn(s) {
				return nil
			}
		}
		if page.Next == "" {
			return nil
		}
		q.Cursor = page.Next
	}
}

// window counts one message in rate window w.
func (au *authorAccount) window(w uint64) {
	if n := au.windows.get(w); n < ^uint16(0) {
		au.windows.raise(w, n+1)
	}
}

// addLocked charges m to the group and its author. slow is the slow mode
// whose window m's text takes, 0 for none.
func (ga *groupAccount) addLocked(m *message.Message, size int64, self bool, slow time.Duration, now time.Time, horizon time.Duration) {
	sentAt := m.Body.SentAtMS
	k := key32(m.Body.Author)
	au := ga.authors[k]
	if au == nil {
		au = &authorAccount{}
		ga.authors[k] = au
	}
	au.self = au.self || self
	au.bytes += size
	ga.bytes += size
	if isAlert(m) {
		au.noteAlert(sentAt)
	} else if inHorizon(sentAt, now, horizon) {
		au.window(sentAt / ga.window)
		if slow > 0 {
			if au.slow == nil {
				au.slow = make(map[uint64]struct{})
			}
			au.slow[slowKey(sentAt, slow)] = struct{}{}
		}
	}
	au.forgetOld(message.TimeMS(now.Add(-horizon)), ga.window, slow)
}

// forgetWindowsAt is how many windows an author may hold before those older
// than the horizon are dropped.
const forgetWindowsAt = 64

// forgetOld drops windows that end before oldestMS.
func (au *authorAccount) forgetOld(oldestMS, window uint64, slow time.Duration) {
	if len(au.windows) > forgetWindowsAt {
		au.windows = slices.DeleteFunc(au.windows, func(x windowCount) bool { return (x.w+1)*window <= oldestMS })
	}
	if slow > 0 && len(au.slow) > forgetWindowsAt {
		for w := range au.slow {
			if (w+1)*uint64(slow.Milliseconds()) <= oldestMS {
				delete(au.slow, w)
			}
		}
	}
}

// foldOwnLocked counts this user's messages stored since the last call.
// They are counted outside the lock (Stored runs on the store's writer,
// which an eviction waits for), and the author account is not needed for
// them: this user is never limited.
func (ga *groupAccount) foldOwnLocked() {
	ga.bytes += ga.ownBytes.Swap(0)
}

// pruneLocked drops the accounts of authors who store nothing now (their
// messages were evicted) and reports whether fewer than max remain.
func (ga *groupAccount) pruneLocked(max int) bool {
	for k, au := range ga.authors {
		if au.bytes <= 0 && !au.self {
			delete(ga.authors, k)
		}
	}
	return len(ga.authors) < max
}
