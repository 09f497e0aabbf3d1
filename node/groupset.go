package node

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

// Kinds of joined groups as the store records them.
const (
	// kindChannel is a name-derived open channel: no descriptor, no owner.
	kindChannel = "channel"
	// kindCarrier is a private group this node carries without reading.
	kindCarrier = "carrier"
)

// groupSet holds the State of every joined group. Its lock guards the map
// only; each State guards itself.
type groupSet struct {
	mu     sync.RWMutex
	states map[message.GroupID]*group.State
	// confirmed holds the groups whose whole state this node knows without
	// a catch-up session: the ones it created since it started (see
	// groupConfirmed).
	confirmed map[message.GroupID]bool
}

func newGroupSet() *groupSet {
	return &groupSet{states: map[message.GroupID]*group.State{}, confirmed: map[message.GroupID]bool{}}
}

func (gs *groupSet) confirm(id message.GroupID) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	gs.confirmed[id] = true
}

func (gs *groupSet) isConfirmed(id message.GroupID) bool {
	gs.mu.RLock()
	defer gs.mu.RUnlock()
	return gs.confirmed[id]
}

func (gs *groupSet) get(id message.GroupID) *group.State {
	gs.mu.RLock()
	defer gs.mu.RUnlock()
	return gs.states[id]
}

func (gs *groupSet) put(st *group.State) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	gs.states[st.ID()] = st
}

func (gs *groupSet) remove(id message.GroupID) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	delete(gs.states, id)
}

func (gs *groupSet) all() []*group.State {
	gs.mu.RLock()
	defer gs.mu.RUnlock()
	out := make([]*group.State, 0, len(gs.states))
	for _, st := range gs.states {
		out = append(out, st)
	}
	return out
}

// groupConfig is what every State of this node is built with.
func groupConfig(s *store.Store, grace time.Duration) group.Config {
	return group.Config{
		Grace: grace,
		AuthorOf: func(id message.ID) (ed25519.PublicKey, bool) {
			st, err := s.Get(id)
			if err != nil {
				return nil, false
			}
			return st.Msg.Body.Author, true
		},
		MessagesBy: func(g message.GroupID, author ed25519.PublicKey, max int) []message.ID {
			var ids []message.ID
			eachStored(s, g, func(st store.Stored) bool {
				if st.Msg.Body.Author.Equal(author) {
					ids = append(ids, st.Msg.ID)
				}
				return len(ids) < max
			})
			return ids
		},
	}
}

// eachStored calls f with a group's stored messages, the newest first,
// until f returns false or they run out.
func eachStored(s *store.Store, g message.GroupID, f func(store.Stored) bool) {
	q := store.Query{Group: g, Newest: true, Limit: store.MaxQueryLimit}
	for {
		page, err := s.History(q)
		if err != nil {
			return
		}
		for _, st := range page.Messages {
			if !f(st) {
				return
			}
		}
		if page.Next == "" {
			return
		}
		q.Cursor = page.Next
	}
}

// loadState rebuilds a joined group's State from the store: its secrets
// (for created groups) and the replay of its control messages.
func loadState(s *store.Store, g store.Group, me *identity.User, cfg group.Config) (*group.State, error) {
	var st *group.State
	var err error
	if g.Kind == kindChannel {
		st, err = group.NewChannel(g.Name, cfg)
	} else {
		var blob []byte
		if blob, err = s.GroupState(g.ID); err == nil {
			st, err = group.RestoreSecrets(blob, me, cfg)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load group %s: %w", g.Name, err)
	}
	if st.ID() != g.ID {
		return nil, fmt.Errorf("load group %s: its stored state is of another group", g.Name)
	}
	control, err := s.Kinds(g.ID, message.KindDescriptor, message.KindOp, message.KindOpPart, message.KindDelete, message.KindProfile, message.KindReaction)
	if err != nil {
		return nil, fmt.Errorf("load group %s: %w", g.Name, err)
	}
	ms := make([]*message.Message, len(control))
	for i, c := range control {
		ms[i] = c.Msg
	}
	st.Replay(ms)
	return st, nil
}

// saveState records a State's secrets (a created group's secret and every
// epoch key it holds; a carrier's topic, owner and end time). Channels have
// none.
func saveState(s *store.Store, st *group.State) error {
	if st.IsChannel() {
		return nil
	}
	blob, err := st.MarshalSecrets()
	if err != nil {
		return err
	}
	return s.PutGroupState(st.ID(), blob)
}

// storeKind is how the store records a State's kind.
func storeKind(st *group.State) string {
	switch {
	case st.IsChannel():
		return kindChannel
	case st.IsCarrier():
		return kindCarrier
	}
	return st.Kind().String()
}

// groupName is the name the store records for a group: a carrier cannot
// read the group's name, so it names it by its ID, and so does a member
// until catch-up brings the genesis (effects then record its name).
func groupName(st *group.State) string {
	if st.IsCarrier() {
		return "carried-" + st.ID().Short()
	}
	if name := st.Name(); name != "" {
		return name
	}
	return "joining-" + st.ID().Short()
}

// resolveGroup finds a joined group by hex ID, by channel name, or by the
// name of a created group (which must then be unambiguous). When ref names
// no joined group but a group this user left, the error is a
// group.NotJoinedError that says how to join it again.
func resolveGroup(s *store.Store, ref string) (store.Group, error) { return resolve(s, ref, false) }

// resolveKnown finds a joined group as resolveGroup does, or else a group
// this user has left (whose history the store keeps).
func resolveKnown(s *store.Store, ref string) (store.Group, error) { return resolve(s, ref, true) }

func resolve(s *store.Store, ref string, withLeft bool) (store.Group, error) {
	if g, err := byID(ref, s.Group); !errors.Is(err, store.ErrNotFound) {
		return g, err
	}
	groups, err := s.Groups()
	if err != nil {
		return store.Group{}, err
	}
	found, err := byName(groups, ref, "joined groups")
	switch {
	case err != nil:
		return store.Group{}, err
	case found != nil:
		return *found, nil
	}
	switch l, err := resolveLeft(s, ref); {
	case err == nil && withLeft:
		return l, nil
	case err == nil:
		return store.Group{}, leftError(l)
	case !errors.Is(err, store.ErrNotFound):
		return store.Group{}, err
	}
	_, norm, err := group.OpenChannelID(ref)
	if err == nil {
		return store.Group{}, &group.NotJoinedError{Channel: norm}
	}
	// Not a channel name either: say both.
	return store.Group{}, fmt.Errorf("%w: no joined group is called %q; as a channel name: %w", group.ErrNotJoined, ref, err)
}

// byID finds, with get (the store's Group or LeftGroup), the group ref
// names by its hex ID or as an open channel's name, or store.ErrNotFound.
// 64 hex digits are a group ID and also a valid channel name, so a ref that
// parses as an ID but names no group is tried as a name.
func byID(ref string, get func(message.GroupID) (store.Group, error)) (store.Group, error) {
	if id, err := message.ParseGroupID(ref); err == nil {
		g, err := get(id)
		if !errors.Is(err, store.ErrNotFound) {
			return g, err
		}
	}
	if id, _, err := group.OpenChannelID(ref); err == nil {
		g, err := get(id)
		if !errors.Is(err, store.ErrNotFound) {
			return g, err
		}
	}
	return store.Group{}, store.ErrNotFound
}

// byName finds the one group of groups, other than channels, that ref
// names (whatever its case): nil if none, an error if several.
func byName(groups []store.Group, ref, what string) (*store.Group, error) {
	var found []store.Group
	for _, g := range groups {
		if g.Kind != kindChannel && strings.EqualFold(g.Name, strings.TrimSpace(ref)) {
			found = append(found, g)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return &found[0], nil
	}
	ids := make([]string, len(found))
	for i, g := range found {
		ids[i] = g.ID.String()
	}
	slices.Sort(ids)
	return nil, fmt.Errorf("%q names %d %s; use one of their IDs: %s", ref, len(found), what, strings.Join(ids, ", "))
}

// resolveLeft finds a group this user has left, as resolveGroup finds a
// joined one, or store.ErrNotFound.
func resolveLeft(s *store.Store, ref string) (store.Group, error) {
	if g, err := byID(ref, s.LeftGroup); !errors.Is(err, store.ErrNotFound) {
		return g, err
	}
	groups, err := s.LeftGroups()
	if err != nil {
		return store.Group{}, err
	}
	found, err := byName(groups, ref, "groups you left")
	switch {
	case err != nil:
		return store.Group{}, err
	case found == nil:
		return store.Group{}, fmt.Errorf("left group %q: %w", ref, store.ErrNotFound)
	}
	return *found, nil
}

// leftError says that g is a group this user left, and how to join it
// again: a channel by its name, any other group by its ID (its name may
// be an open channel's too, which `starling join NAME` would not mean).
func leftError(g store.Group) error {
	if g.Kind == kindChannel {
		return &group.NotJoinedError{Channel: g.Name, Left: "channel " + g.Name, Rejoin: g.Name}
	}
	return &group.NotJoinedError{Left: fmt.Sprintf("%s (%s group %s)", g.Name, g.Kind, g.ID.Short()), Rejoin: g.ID.String()}
}
