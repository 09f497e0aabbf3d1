package catchup

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"starling/message"
	"starling/negentropy"
)

// Snapshots are shared: every session of a group that starts while the
// group's stored set is unchanged reconciles over the same sealed Vector,
// which is immutable and safe for any number of readers. A held session
// then costs its own few buffers, not a copy of the group's index (72 bytes
// per stored message).
const (
	// maxGenerations bounds the snapshots of one group alive at once. When
	// that many are held by sessions, a new session shares the newest even
	// if the group has changed since it was built: it misses the newest
	// messages, which gossip brings and the next session finds, and the
	// memory held stays within twice one snapshot.
	maxGenerations = 2
	// shareAge is how long a snapshot is shared when Config.Version is
	// nil and nothing says whether the group changed.
	shareAge = time.Second
)

// snapshot is one group's sealed index at one version of its stored set.
type snapshot struct {
	group   message.GroupID
	vec     *negentropy.Vector
	version uint64
	built   time.Time
	refs    int // sessions holding it; guarded by snapshots.mu

	idsOnce sync.Once
	ids     []message.ID // the IDs sorted, built when first needed
}

// has reports whether id is in the snapshot. The sorted ID list is built
// on first use (a wanted message gone since the snapshot, which is rare)
// and shared by the sessions that hold the snapshot.
func (s *snapshot) has(id message.ID) bool {
	s.idsOnce.Do(func() {
		s.ids = make([]message.ID, s.vec.Size())
		for i := range s.ids {
			s.ids[i] = s.vec.Get(i).ID
		}
		slices.SortFunc(s.ids, func(a, b message.ID) int { return bytes.Compare(a[:], b[:]) })
	})
	i := sort.Search(len(s.ids), func(i int) bool { return bytes.Compare(s.ids[i][:], id[:]) >= 0 })
	return i < len(s.ids) && s.ids[i] == id
}

// snapshots hands out shared snapshots. Its maps are guarded by mu; a
// group's build runs under that group's building lock, outside mu.
type snapshots struct {
	store   Store
	version func(message.GroupID) uint64 // nil: share by age
	now     func() time.Time
	frame   int // Config.FrameSizeLimit

	mu     sync.Mutex
	groups map[message.GroupID]*generations
}

// generations are the snapshots of one group that sessions hold, oldest
// first. Entries stay for the groups this node has served or synced, which
// are its joined groups.
type generations struct {
	building sync.Mutex
	live     []*snapshot
}

func newSnapshots(cfg Config) *snapshots {
	return &snapshots{store: cfg.Store, version: cfg.Version, now: cfg.Clock, frame: cfg.FrameSizeLimit,
		groups: make(map[message.GroupID]*generations)}
}

// acquire returns a snapshot of group for one session, shared when it can
// be. Every successful acquire must be paired with release.
func (ss *snapshots) acquire(group message.GroupID) (*snapshot, error) {
	var ver uint64
	if ss.version != nil {
		ver = ss.version(group)
	}
	ss.mu.Lock()
	gen := ss.groups[group]
	if gen == nil {
		gen = &generations{}
		ss.groups[group] = gen
	}
	if s := ss.reusableLocked(gen, ver); s != nil {
		ss.mu.Unlock()
		return s, nil
	}
	ss.mu.Unlock()

	// One build per group at a time: sessions that arrive meanwhile wait
	// and share it.
	gen.building.Lock()
	defer gen.building.Unlock()
	ss.mu.Lock()
	if s := ss.reusableLocked(gen, ver); s != nil {
		ss.mu.Unlock()
		return s, nil
	}
	ss.mu.Unlock()
	s, err := ss.build(group, ver)
	if err != nil {
		return nil, err
	}
	ss.mu.Lock()
	s.refs = 1
	gen.live = append(gen.live, s)
	ss.mu.Unlock()
	return s, nil
}

// reusableLocked takes a reference to the newest snapshot if it is fresh,
// or if the group already has maxGenerations alive.
func (ss *snapshots) reusableLocked(gen *generations, ver uint64) *snapshot {
	if len(gen.live) == 0 {
		return nil
	}
	s := gen.live[len(gen.live)-1]
	fresh := s.version == ver
	if ss.version == nil {
		fresh = ss.now().Sub(s.built) < shareAge
	}
	if !fresh && len(gen.live) < maxGenerations {
		return nil
	}
	s.refs++
	return s
}

// release drops a session's reference; the last one frees the snapshot.
func (ss *snapshots) release(s *snapshot) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s.refs--; s.refs > 0 {
		return
	}
	gen := ss.groups[s.group]
	if gen == nil {
		return
	}
	gen.live = slices.DeleteFunc(gen.live, func(x *snapshot) bool { return x == s })
}

// build reads the group's index into a sealed Vector.
func (ss *snapshots) build(group message.GroupID, ver uint64) (*snapshot, error) {
	items, err := ss.store.Items(group)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errInternal, err)
	}
	v := negentropy.NewVectorSize(len(items))
	for _, it := range items {
		// Only the reserved timestamp 2^64-1 fails; such a message lies
		// beyond any clock's skew window and is simply not offered.
		_ = v.Insert(it.SentAtMS, it.ID)
	}
	if err := v.Seal(); err != nil {
		return nil, fmt.Errorf("%w: index of group %s: %w", errInternal, group.Short(), err)
	}
	return &snapshot{group: group, vec: v, version: ver, built: ss.now()}, nil
}

// session starts a Negentropy session over a snapshot.
func (ss *snapshots) session(s *snapshot) (*negentropy.Negentropy, error) {
	neg, err := negentropy.New(s.vec, negentropy.Config{FrameSizeLimit: ss.frame, MaxMessageSize: MaxFrameSize})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errInternal, err)
	}
	return neg, nil
}
