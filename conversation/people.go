package conversation

import (
	"crypto/ed25519"
	"fmt"
	"maps"
	"slices"
	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
	"strings"
)

// person is what Whois gathers about an author.
type person struct {
	key   ed25519.PublicKey
	nicks map[message.GroupID]string
}

// Whois looks an author up by fingerprint: their key and, per joined group,
// the nickname of their signed profile there (or, in channels, which carry
// no profiles, of their recent texts).
func (c *Service) Whois(fp identity.Fingerprint) (ed25519.PublicKey, map[message.GroupID]string, error) {
	p, err := c.whois(fp)
	return p.key, p.nicks, err
}

func (c *Service) whois(fp identity.Fingerprint) (person, error) {
	groups, err := c.store.Groups()
	if err != nil {
		return person{}, err
	}
	p := person{nicks: map[message.GroupID]string{}}
	for _, g := range groups {
		st := c.node.Group(g.ID)
		if st == nil {
			continue
		}
		if st.IsChannel() {
			c.sightingsInMessages(g, fp, &p)
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

// sightingsInMessages adds to p where fp's author wrote recently, by the
// nick in their texts.
func (c *Service) sightingsInMessages(g store.Group, fp identity.Fingerprint, p *person) {
	page, err := c.store.History(store.Query{Group: g.ID, Newest: true, Limit: whoisScan})
	if err != nil {
		return
	}
	for _, s := range page.Messages {
		b := &s.Msg.Body
		if b.Kind != message.KindText || identity.FingerprintOf(b.Author) != fp {
			continue
		}
		nick := ""
		if content, err := c.node.Open(s.Msg); err == nil {
			if t, ok := content.(group.Text); ok {
				nick = t.Nick
			}
		}
		p.key = slices.Clone(b.Author)
		p.nicks[g.ID] = nick
		return
	}
}

// minPrefix is the shortest fingerprint prefix FindPerson takes: shorter
// ones match too many people to mean anyone.
const minPrefix = 4

// FindPerson finds the one person ref names, among the members of joined
// groups, the recent authors in channels and the authors this user blocked
// or muted: a whole fingerprint (returned as it is, known or not), a
// fingerprint's prefix of at least minPrefix characters (the short form
// `log` and the chat show, with or without the "…", or the start of the
// form in blocks of four that `id` shows), or a nickname (case
// does not matter). A ref that matches several people is refused with
// group.ErrAmbiguousPerson, naming them, and one that matches nobody
// with group.ErrUnknownPerson.
func (c *Service) FindPerson(ref string) (identity.Fingerprint, error) {
	ref = strings.TrimSpace(ref)
	if fp, err := identity.ParseFingerprint(ref); err == nil {
		return fp, nil
	}
	known, err := c.knownPeople()
	if err != nil {
		return "", err
	}
	return matchPerson(ref, known)
}

// matchPerson finds the one person in known (fingerprint to nicknames)
// that ref names, as FindPerson says. A prefix match wins over a nickname.
func matchPerson(ref string, known map[identity.Fingerprint][]string) (identity.Fingerprint, error) {
	// A prefix may be typed as Pretty prints it, in blocks of four
	// ("etyc mogp"), or as Short does, with or without the "…".
	prefix := strings.ToLower(strings.Join(strings.Fields(strings.Trim(strings.TrimSpace(ref), "….")), ""))
	var byPrefix, byNick []identity.Fingerprint
	for _, fp := range slices.Sorted(maps.Keys(known)) {
		if len(prefix) >= minPrefix && strings.HasPrefix(string(fp), prefix) {
			byPrefix = append(byPrefix, fp)
		}
		if slices.ContainsFunc(known[fp], func(nick string) bool { return strings.EqualFold(nick, ref) }) {
			byNick = append(byNick, fp)
		}
	}
	found := byPrefix
	if len(found) == 0 {
		found = byNick
	}
	switch len(found) {
	case 0:
		if len(prefix) < minPrefix && isFingerprintish(prefix) {
			return "", fmt.Errorf("%w: nobody is called %q, and a fingerprint's start needs at least %d characters", group.ErrUnknownPerson, ref, minPrefix)
		}
		return "", fmt.Errorf("%w: nobody in your groups is called %q or has a fingerprint that starts so", group.ErrUnknownPerson, ref)
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, fp := range found {
		names[i] = string(fp)
		if nicks := known[fp]; len(nicks) > 0 {
			names[i] = strings.Join(nicks, "/") + " " + string(fp)
		}
	}
	return "", fmt.Errorf("%w: %q could be %s; give more of the fingerprint", group.ErrAmbiguousPerson, ref, strings.Join(names, ", "))
}

// isFingerprintish reports whether s could start a fingerprint.
func isFingerprintish(s string) bool {
	return s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz234567") == ""
}

// knownPeople gathers the people this node can name: fingerprint to their
// nicknames (sorted, without repeats).
func (c *Service) knownPeople() (map[identity.Fingerprint][]string, error) {
	groups, err := c.store.Groups()
	if err != nil {
		return nil, err
	}
	known := map[identity.Fingerprint][]string{}
	add := func(fp identity.Fingerprint, nick string) {
		nicks := known[fp]
		if nick != "" && !slices.Contains(nicks, nick) {
			nicks = append(nicks, nick)
			slices.Sort(nicks)
		}
		known[fp] = nicks
	}
	for _, g := range groups {
		st := c.node.Group(g.ID)
		if st == nil {
			continue
		}
		if st.IsChannel() {
			c.channelAuthors(g, add)
			continue
		}
		for _, k := range st.Members() {
			prof, _ := st.Profile(k)
			add(identity.FingerprintOf(k), prof.Nick)
		}
	}
	blocks, err := c.store.Blocks()
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		add(identity.FingerprintOf(b.Author), "")
	}
	return known, nil
}

// channelAuthors passes the authors of a channel's recent texts (at most
// whoisScan) to add, with the nicknames their texts carry.
func (c *Service) channelAuthors(g store.Group, add func(identity.Fingerprint, string)) {
	page, err := c.store.History(store.Query{Group: g.ID, Newest: true, Limit: whoisScan})
	if err != nil {
		return
	}
	for _, s := range page.Messages {
		if s.Msg.Body.Kind != message.KindText {
			continue
		}
		nick := ""
		if content, err := c.node.Open(s.Msg); err == nil {
			if t, ok := content.(group.Text); ok {
				nick = t.Nick
			}
		}
		add(identity.FingerprintOf(s.Msg.Body.Author), nick)
	}
}
