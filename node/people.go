package node

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

// person is what Whois gathers about an author.
type person struct {
	key   ed25519.PublicKey
	nicks map[message.GroupID]string
}

// Whois looks an author up by fingerprint: their key and, per joined group,
// the nickname of their signed profile there (or, in channels, which carry
// no profiles, of their recent texts).
func (n *Node) Whois(fp identity.Fingerprint) (ed25519.PublicKey, map[message.GroupID]string, error) {
	p, err := n.whois(fp)
	return p.key, p.nicks, err
}

func (n *Node) whois(fp identity.Fingerprint) (person, error) {
	groups, err := n.store.Groups()
	if err != nil {
		return person{}, err
	}
	p := person{nicks: map[message.GroupID]string{}}
	for _, g := range groups {
		st := n.groups.get(g.ID)
		if st == nil {
			continue
		}
		if st.IsChannel() {
			n.sightingsInMessages(g, fp, &p)
			continue
		}
		for _, k := range st.Members() {
			if identity.FingerprintOf(k) != fp {
				continue
			}
			prof, _ := st.Profile(k)
			p.key = k
			p.nicks[g.ID] = prof.Nick
		}
	}
	if p.key == nil {
		return person{}, fmt.Errorf("nobody with fingerprint %s has a profile or a recent message in a joined group", fp)
	}
	return p, nil
}

// whoisScan bounds how many recent messages per group Whois reads to find
// authors who have no profile (everyone in a channel).
const whoisScan = 5000

// authorByFingerprint finds the key behind a fingerprint among known
// profiles and the authors of recent messages.
func (n *Node) authorByFingerprint(fp identity.Fingerprint) (ed25519.PublicKey, error) {
	p, err := n.whois(fp)
	return p.key, err
}

// sightingsInMessages adds to p where fp's author wrote recently, by the
// nick in their texts.
func (n *Node) sightingsInMessages(g store.Group, fp identity.Fingerprint, p *person) {
	page, err := n.store.History(store.Query{Group: g.ID, Newest: true, Limit: whoisScan})
	if err != nil {
		return
	}
	for _, s := range page.Messages {
		b := &s.Msg.Body
		if b.Kind != message.KindText || identity.FingerprintOf(b.Author) != fp {
			continue
		}
		nick := ""
		if c, err := n.Open(s.Msg); err == nil {
			if t, ok := c.(group.Text); ok {
				nick = t.Nick
			}
		}
		p.key = slices.Clone(b.Author)
		p.nicks[g.ID] = nick
		return
	}
}

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
