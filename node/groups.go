package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"starling/group"
	"starling/message"
	"starling/store"
)

// Join joins the open channel with the given name and returns it. Joining
// a joined group again is not an error.
func (n *Node) Join(ctx context.Context, name string) (store.Group, error) {
	id, norm, err := group.OpenChannelID(name)
	if err != nil {
		return store.Group{}, err
	}
	// The topic first: a group the store remembers is rejoined at every
	// start, so it must be one gossip can join.
	if err := n.gossip.Join(id); err != nil {
		return store.Group{}, fmt.Errorf("join %s: %w", norm, err)
	}
	g, err := joinOpen(n.store, name, n.cfg.Clock())
	if err != nil {
		return store.Group{}, errors.Join(err, n.gossip.Leave(id))
	}
	n.log.Info("joined group", "group", g.Name, "id", g.ID.Short())
	n.kickOutbox()
	return g, nil
}

// Leave leaves a joined group. Its messages stay in the store.
func (n *Node) Leave(ctx context.Context, ref string) (store.Group, error) {
	g, err := resolveGroup(n.store, ref)
	if err != nil {
		return store.Group{}, err
	}
	if err := n.gossip.Leave(g.ID); err != nil {
		return store.Group{}, fmt.Errorf("leave %s: %w", g.Name, err)
	}
	if err := n.store.RemoveGroup(g.ID); err != nil {
		return store.Group{}, err
	}
	return g, nil
}

// Groups lists joined groups.
func (n *Node) Groups() ([]store.Group, error) { return n.store.Groups() }

// ResolveGroup finds a joined group by channel name or hex group ID.
func (n *Node) ResolveGroup(ref string) (store.Group, error) { return resolveGroup(n.store, ref) }

func joinOpen(s *store.Store, name string, now time.Time) (store.Group, error) {
	id, norm, err := group.OpenChannelID(name)
	if err != nil {
		return store.Group{}, err
	}
	if g, err := s.Group(id); err == nil {
		return g, nil
	}
	g := store.Group{ID: id, Name: norm, Kind: "open", JoinedAt: now}
	if err := s.PutGroup(g); err != nil {
		return store.Group{}, fmt.Errorf("remember group %s: %w", norm, err)
	}
	return g, nil
}

func resolveGroup(s *store.Store, ref string) (store.Group, error) {
	// 64 hex digits are a group ID and also a valid channel name, so a ref
	// that parses as an ID but names no joined group is tried as a name.
	if id, err := message.ParseGroupID(ref); err == nil {
		g, err := s.Group(id)
		if !errors.Is(err, store.ErrNotFound) {
			return g, err
		}
	}
	id, norm, err := group.OpenChannelID(ref)
	if err != nil {
		return store.Group{}, err
	}
	g, err := s.Group(id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Group{}, fmt.Errorf("%w: %s; join it first with `starling join %s`", group.ErrNotJoined, norm, norm)
	}
	return g, err
}
