package node

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

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
func (n *Node) FindPerson(ref string) (identity.Fingerprint, error) {
	ref = strings.TrimSpace(ref)
	if fp, err := identity.ParseFingerprint(ref); err == nil {
		return fp, nil
	}
	known, err := n.knownPeople()
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
func (n *Node) knownPeople() (map[identity.Fingerprint][]string, error) {
	groups, err := n.store.Groups()
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
		st := n.groups.get(g.ID)
		if st == nil {
			continue
		}
		if st.IsChannel() {
			n.channelAuthors(g, add)
			continue
		}
		for _, k := range st.Members() {
			prof, _ := st.Profile(k)
			add(identity.FingerprintOf(k), prof.Nick)
		}
	}
	blocks, err := n.store.Blocks()
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
func (n *Node) channelAuthors(g store.Group, add func(identity.Fingerprint, string)) {
	page, err := n.store.History(store.Query{Group: g.ID, Newest: true, Limit: whoisScan})
	if err != nil {
		return
	}
	for _, s := range page.Messages {
		if s.Msg.Body.Kind != message.KindText {
			continue
		}
		nick := ""
		if c, err := n.Open(s.Msg); err == nil {
			if t, ok := c.(group.Text); ok {
				nick = t.Nick
			}
		}
		add(identity.FingerprintOf(s.Msg.Body.Author), nick)
	}
}
