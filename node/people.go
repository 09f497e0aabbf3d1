package node

import (
	"errors"
	"slices"

	"starling/group"
	"starling/message"
)

// publishProfile sends this user's profile to a created group unless its
// latest profile there already says the same. Channels carry no profiles:
// nobody rekeys them, and a text carries its author's nick. Nor does a
// carrier send one: it is no member.
func (n *Node) publishProfile(g message.GroupID) {
	st := n.groups.get(g)
	if st == nil || st.IsChannel() || st.IsCarrier() {
		return
	}
	if std := st.Standing(n.cfg.User.PublicKey()); std.Removed || std.Banned {
		return
	}
	want, err := group.NewProfile(n.cfg.User)
	if err != nil {
		return
	}
	if have, ok := st.Profile(n.cfg.User.PublicKey()); ok && have.Nick == want.Nick && slices.Equal(have.X25519, want.X25519) {
		return
	}
	m, err := st.Compose(n.cfg.User, want, n.cfg.Clock())
	if errors.Is(err, group.ErrNotAllowed) {
		return // a reader of an announcement channel
	}
	if errors.Is(err, group.ErrStale) {
		// Still learning the group (its genesis, or the Op behind the
		// link's key): the next completed catch-up tries again.
		n.log.Debug("this user's profile waits until the group is known", "group", st, "err", err)
		return
	}
	if err != nil {
		n.log.Warn("could not compose this user's profile", "group", st, "err", err)
		return
	}
	if _, _, err := n.sendOwn(n.ctx, m); err != nil {
		n.log.Warn("could not send this user's profile", "group", st, "err", err)
	}
}
