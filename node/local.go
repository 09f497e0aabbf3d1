package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

// Local works on a home's store while no daemon runs: it joins groups,
// queues messages in the outbox (the daemon sends them when it next has a
// peer in the group) and reads history. It must not be used while a daemon
// holds the store; Open fails with store.ErrLocked then.
type Local struct {
	user   *identity.User
	store  *store.Store
	clock  func() time.Time
	cfg    group.Config
	groups *groupSet // loaded on first use
}

// OpenLocal opens the store in dir. user may be nil for read-only use.
func OpenLocal(dir string, user *identity.User, logger *slog.Logger) (*Local, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s, err := store.Open(dir, store.Config{Logger: logger.With("component", "store"), GCInterval: -1})
	if err != nil {
		return nil, err
	}
	return &Local{user: user, store: s, clock: time.Now, cfg: groupConfig(s, 0), groups: newGroupSet()}, nil
}

// state returns the State of a joined group, loading it from the store.
func (l *Local) state(g store.Group) (*group.State, error) {
	if st := l.groups.get(g.ID); st != nil {
		return st, nil
	}
	st, err := loadState(l.store, g, l.user, l.cfg)
	if err != nil {
		return nil, err
	}
	l.groups.put(st)
	return st, nil
}

// Open decodes a stored message of a joined group, or of a group this
// user left, for display, unsealing it in a private group.
func (l *Local) Open(m *message.Message) (group.Content, error) {
	g, err := l.store.Group(m.Body.Group)
	if errors.Is(err, store.ErrNotFound) {
		g, err = l.store.LeftGroup(m.Body.Group)
	}
	if err != nil {
		return nil, err
	}
	st, err := l.state(g)
	if err != nil {
		return nil, err
	}
	return st.Open(m)
}

// Close closes the store.
func (l *Local) Close() error { return l.store.Close() }

// Join remembers the open channel name as joined, or, like Node.Join, a
// group this user left that name names (its ID, or its name when no joined
// channel has that name) as joined again. Groups with invite links need
// the node: joining them publishes a profile.
func (l *Local) Join(name string) (store.Group, error) {
	if id, _, err := group.OpenChannelID(name); err == nil {
		if _, err := l.store.Group(id); err == nil {
			return l.JoinChannel(name)
		}
	}
	switch left, err := resolveLeft(l.store, name); {
	case err == nil:
		g := left
		g.LeftAt, g.JoinedAt = time.Time{}, l.clock()
		if err := l.store.PutGroup(g); err != nil {
			return store.Group{}, fmt.Errorf("remember group %s: %w", g.Name, err)
		}
		return g, nil
	case !errors.Is(err, store.ErrNotFound):
		return store.Group{}, err
	}
	return l.JoinChannel(name)
}

// JoinChannel remembers the open channel name as joined, even when name is
// also a group's (joined or left).
func (l *Local) JoinChannel(name string) (store.Group, error) {
	st, err := group.NewChannel(name, l.cfg)
	if err != nil {
		return store.Group{}, err
	}
	if g, err := l.store.Group(st.ID()); err == nil {
		return g, nil
	}
	g := store.Group{ID: st.ID(), Name: st.Name(), Kind: kindChannel, JoinedAt: l.clock()}
	if err := l.store.PutGroup(g); err != nil {
		return store.Group{}, fmt.Errorf("remember group %s: %w", g.Name, err)
	}
	return g, nil
}

// ResolveGroup finds a joined group by channel name or hex group ID.
func (l *Local) ResolveGroup(ref string) (store.Group, error) { return resolveGroup(l.store, ref) }

// Groups lists joined groups.
func (l *Local) Groups() ([]store.Group, error) { return l.store.Groups() }

// LeftGroups lists the groups this user left whose history the store keeps.
func (l *Local) LeftGroups() ([]store.Group, error) { return l.store.LeftGroups() }

// Count returns how many messages a group holds.
func (l *Local) Count(g store.Group) (int, error) { return l.store.Count(g.ID) }

// Send signs a message and queues it durably in the outbox.
func (l *Local) Send(ctx context.Context, ref, text string) (*message.Message, error) {
	if l.user == nil {
		return nil, errors.New("no user key to sign with")
	}
	g, err := resolveGroup(l.store, ref)
	if err != nil {
		return nil, err
	}
	st, err := l.state(g)
	if err != nil {
		return nil, err
	}
	m, err := st.Compose(l.user, group.Text{Text: text, Nick: l.user.Name}, l.clock())
	if err != nil {
		return nil, err
	}
	if _, err := l.store.PutOwn(ctx, m); err != nil {
		return nil, fmt.Errorf("queue the message: %w", err)
	}
	return m, nil
}

// History reads a page of the messages of a joined group, or of a group
// this user left.
func (l *Local) History(ref string, q store.Query) (store.Group, store.Page, error) {
	g, err := resolveKnown(l.store, ref)
	if err != nil {
		return store.Group{}, store.Page{}, err
	}
	q.Group = g.ID
	p, err := l.store.History(q)
	return g, p, err
}

// Disk returns the store's view of its disk (store.Disk).
func (l *Local) Disk() store.Disk { return l.store.Disk() }

// CorruptSkipped counts the damaged records the store's reads skipped.
func (l *Local) CorruptSkipped() uint64 { return l.store.Skipped() }

// Outbox returns how many messages wait to be sent.
func (l *Local) Outbox() (int, error) {
	out, err := l.store.Outbox()
	return len(out), err
}
