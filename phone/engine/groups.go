package engine

import (
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

// maxPending bounds the messages a group keeps waiting for what they need
// (the genesis, a key, a profile, a deleted message), as the daemon's
// pending queue does; the oldest go first and come back by catch-up.
const maxPending = 512

// joined is one group the user joined.
type joined struct {
	st       *group.State
	channel  string
	link     string
	relays   []string
	ticket   []byte
	joinedAt time.Time
	// pending holds messages that Check ignored for something they wait
	// for, judged again when the group changes.
	pending []*message.Message
}

// GroupRecord is a joined group as the page stores it. Secrets is the
// group's key material (group.State.MarshalSecrets): keep it like the
// identity's seed.
type GroupRecord struct {
	V        int      `json:"v"`
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Channel  string   `json:"channel"`
	Link     string   `json:"link"`
	Relays   []string `json:"relays"`
	Ticket   []byte   `json:"ticket"`
	Secrets  []byte   `json:"secrets"`
	JoinedAt int64    `json:"joinedAt"`
}

// Person is a member as the group's profiles name them.
type Person struct {
	Fingerprint string `json:"fingerprint"`
	PublicKey   string `json:"publicKey"`
	Name        string `json:"name"`
}

// GroupInfo is what the interface shows of a group.
type GroupInfo struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Topic   string   `json:"topic"`
	Owner   string   `json:"owner"`
	Admins  []string `json:"admins"`
	Posters []string `json:"posters"`
	Banned  []string `json:"banned"`
	Removed []string `json:"removed"`
	Members []Person `json:"members"`
	EndsAt  int64    `json:"endsAt"`
	// Expired: the group ended more than the grace period ago; the daemon
	// then deletes its content and keys, and so should the page (leave).
	Expired         bool     `json:"expired"`
	SlowModeSeconds int      `json:"slowModeSeconds"`
	Epoch           uint64   `json:"epoch"`
	GenesisKnown    bool     `json:"genesisKnown"`
	LinkError       string   `json:"linkError"`
	CanPost         bool     `json:"canPost"`
	Standing        string   `json:"standing"`
	Relays          []string `json:"relays"`
	Ticket          []byte   `json:"ticket"`
}

// Invite is what a link says, before joining.
type Invite struct {
	Group      string   `json:"group"`
	Kind       string   `json:"kind"`
	Channel    string   `json:"channel"`
	Owner      string   `json:"owner"`
	Relays     []string `json:"relays"`
	Ticket     []byte   `json:"ticket"`
	HasGenesis bool     `json:"hasGenesis"`
}

// Joined is the result of a join.
type Joined struct {
	Group  GroupInfo   `json:"group"`
	Record GroupRecord `json:"record"`
	changes
}

// Outgoing is an envelope to publish on a topic.
type Outgoing struct {
	Group string `json:"group"`
	Topic string `json:"topic"`
	Raw   []byte `json:"raw"`
}

// parseLink parses an invite link, or a page URL whose fragment is one
// (percent-encoded or not).
func parseLink(s string) (group.Invite, string, error) {
	s = strings.TrimSpace(s)
	link := s
	if _, frag, ok := strings.Cut(s, "#"); ok && !strings.HasPrefix(s, group.InvitePrefix) {
		link = frag
	}
	inv, err := group.ParseInvite(link)
	if err != nil && strings.Contains(link, "%") {
		if u, uerr := url.PathUnescape(link); uerr == nil {
			if inv2, err2 := group.ParseInvite(u); err2 == nil {
				return inv2, u, nil
			}
		}
	}
	return inv, link, err
}

// ParseInvite parses and verifies a link without joining.
func ParseInvite(link string) (Invite, error) {
	inv, _, err := parseLink(link)
	if err != nil {
		return Invite{}, wrap(err)
	}
	kind := inv.Kind().String()
	if inv.Channel != "" {
		kind = "channel"
	}
	return Invite{
		Group: inv.Group.String(), Kind: kind, Channel: inv.Channel, Owner: string(inv.Owner),
		Relays: nonNil(inv.Relays), Ticket: inv.Ticket, HasGenesis: inv.Descriptor != nil,
	}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Join joins the group of an invite link. A short link (no genesis) leaves
// the group waiting for its genesis, which catch-up brings; the engine takes
// only the genesis that commits to the group's ID and is signed by the owner
// the link names (group.State's checkGenesis), and GroupInfo.LinkError says
// when one that contradicts the link arrived.
func (e *Engine) Join(link string) (Joined, error) {
	inv, link, err := parseLink(link)
	if err != nil {
		return Joined{}, wrap(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.me == nil {
		return Joined{}, errNoIdentity()
	}
	if inv.Carrier() {
		return Joined{}, errorf(CodeBadInvite, "%v: this is a carrier link, for relays; ask for a member's link", group.ErrBadInvite)
	}
	if j := e.groups[inv.Group]; j != nil {
		// Joined already: the link may name more relays.
		j.relays = mergeRelays(j.relays, inv.Relays)
		if inv.Ticket != nil {
			j.ticket = inv.Ticket
		}
		return e.joinedLocked(j, newChanges())
	}
	var st *group.State
	if inv.Channel != "" {
		st, err = group.NewChannel(inv.Channel, e.groupConfig())
	} else {
		st, err = group.FromInvite(inv, e.me, e.groupConfig())
	}
	if err != nil {
		return Joined{}, wrap(err)
	}
	j := &joined{st: st, channel: inv.Channel, link: link, relays: slices.Clone(inv.Relays), ticket: inv.Ticket, joinedAt: e.clock()}
	e.groups[st.ID()] = j
	c := newChanges()
	if inv.Descriptor != nil && !e.Has(inv.Descriptor.ID) {
		if v, err := e.checkLocked(j, inv.Descriptor, &c); v != message.Accept {
			delete(e.groups, st.ID())
			return Joined{}, wrap(err)
		}
	}
	e.profileLocked(j, &c)
	return e.joinedLocked(j, c)
}

// JoinChannel joins the open channel name.
func (e *Engine) JoinChannel(name string) (Joined, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.me == nil {
		return Joined{}, errNoIdentity()
	}
	st, err := group.NewChannel(name, e.groupConfig())
	if err != nil {
		return Joined{}, errorf(CodeBadArgument, "%v", err)
	}
	if j := e.groups[st.ID()]; j != nil {
		return e.joinedLocked(j, newChanges())
	}
	j := &joined{st: st, channel: st.Name(), joinedAt: e.clock()}
	inv, err := st.Invite(nil)
	if err == nil {
		j.link = inv.Link()
	}
	e.groups[st.ID()] = j
	return e.joinedLocked(j, newChanges())
}

func (e *Engine) joinedLocked(j *joined, c changes) (Joined, error) {
	rec, err := recordOfGroup(j)
	if err != nil {
		return Joined{}, err
	}
	return Joined{Group: e.infoLocked(j), Record: rec, changes: c}, nil
}

func mergeRelays(have, more []string) []string {
	for _, r := range more {
		if !slices.Contains(have, r) {
			have = append(have, r)
		}
	}
	return have
}

// profileLocked composes the user's profile in j's group when it has none
// (or an outdated one) and can post one, as the daemon's publishProfile
// does: not in channels, not when removed or banned, not as a reader of an
// announcement channel, not while the group is still being learnt. The
// profile is accepted at once (c.Stored) and goes to c.Publish.
func (e *Engine) profileLocked(j *joined, c *changes) {
	st := j.st
	if st.IsChannel() {
		return
	}
	if std := st.Standing(e.me.PublicKey()); std.Removed || std.Banned {
		return
	}
	want, err := group.NewProfile(e.me)
	if err != nil {
		return
	}
	if have, ok := st.Profile(e.me.PublicKey()); ok && have.Nick == want.Nick && slices.Equal(have.X25519, want.X25519) {
		return
	}
	m, err := st.Compose(e.me, want, e.clock())
	if err != nil {
		return // not allowed (a reader), or still learning the group
	}
	e.ownLocked(j, m, c)
}

// ownLocked accepts a message the user composed and publishes it.
func (e *Engine) ownLocked(j *joined, m *message.Message, c *changes) error {
	if err := e.acceptLocked(j, m, nil, c); err != nil {
		return err
	}
	c.Publish = append(c.Publish, Outgoing{Group: j.st.ID().String(), Topic: j.st.Topic(), Raw: m.Raw})
	return nil
}

// Leave forgets a group and its messages.
func (e *Engine) Leave(groupID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	j, err := e.groupLocked(groupID)
	if err != nil {
		return err
	}
	id := j.st.ID()
	delete(e.groups, id)
	e.heldMu.Lock()
	for mid, h := range e.held {
		if h.group == id {
			delete(e.held, mid)
		}
	}
	e.heldMu.Unlock()
	return nil
}

func (e *Engine) groupLocked(groupID string) (*joined, error) {
	if e.me == nil {
		return nil, errNoIdentity()
	}
	id, err := message.ParseGroupID(groupID)
	if err != nil {
		return nil, errorf(CodeBadArgument, "group ID: %v", err)
	}
	j := e.groups[id]
	if j == nil {
		return nil, errorf(CodeNotJoined, "%v: %s", group.ErrNotJoined, id.Short())
	}
	return j, nil
}

// Groups lists the joined groups, by name.
func (e *Engine) Groups() []GroupInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []GroupInfo{}
	for _, j := range e.groups {
		out = append(out, e.infoLocked(j))
	}
	slices.SortFunc(out, func(a, b GroupInfo) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// GroupInfo describes one joined group.
func (e *Engine) GroupInfo(groupID string) (GroupInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	j, err := e.groupLocked(groupID)
	if err != nil {
		return GroupInfo{}, err
	}
	return e.infoLocked(j), nil
}

// GroupRecord returns a joined group's record to store.
func (e *Engine) GroupRecord(groupID string) (GroupRecord, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	j, err := e.groupLocked(groupID)
	if err != nil {
		return GroupRecord{}, err
	}
	return recordOfGroup(j)
}

func recordOfGroup(j *joined) (GroupRecord, error) {
	blob, err := j.st.MarshalSecrets()
	if err != nil {
		return GroupRecord{}, errorf(CodeInternal, "group %s: %v", j.st.ID().Short(), err)
	}
	kind := j.st.Kind().String()
	if j.st.IsChannel() {
		kind = "channel"
	}
	return GroupRecord{
		V: RecordVersion, ID: j.st.ID().String(), Kind: kind, Channel: j.channel, Link: j.link,
		Relays: nonNil(slices.Clone(j.relays)), Ticket: j.ticket, Secrets: blob, JoinedAt: j.joinedAt.UnixMilli(),
	}, nil
}

func fps(keys [][]byte) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, string(identity.FingerprintOf(k)))
	}
	return out
}

func (e *Engine) infoLocked(j *joined) GroupInfo {
	st := j.st
	info := GroupInfo{
		ID: st.ID().String(), Name: st.Name(), Kind: st.Kind().String(), Topic: st.Topic(),
		Admins: []string{}, Posters: []string{}, Banned: []string{}, Removed: []string{}, Members: []Person{},
		Epoch: st.Epoch(), SlowModeSeconds: int(st.SlowMode() / time.Second),
		Relays: nonNil(slices.Clone(j.relays)), Ticket: j.ticket,
	}
	if st.IsChannel() {
		info.Kind, info.GenesisKnown, info.CanPost = "channel", true, true
		return info
	}
	if d, _, ok := st.Descriptor(); ok {
		info.GenesisKnown = true
		info.Owner = string(identity.FingerprintOf(d.Owner))
		info.Admins = fps(keysOf(d.Admins))
		info.Posters = fps(keysOf(d.Posters))
		info.Banned = fps(keysOf(d.Banned))
		info.Removed = fps(keysOf(d.Removed))
		info.EndsAt = int64(d.EndsAtMS)
	}
	if info.Name == "" {
		info.Name = "group " + st.ID().Short()
	}
	if err := st.LinkError(); err != nil {
		info.LinkError = err.Error()
	}
	for _, pub := range st.Members() {
		p, _ := st.Profile(pub)
		info.Members = append(info.Members, Person{Fingerprint: string(identity.FingerprintOf(pub)), PublicKey: hex.EncodeToString(pub), Name: p.Nick})
	}
	std := st.Standing(e.me.PublicKey())
	info.Standing = std.Why(info.Name)
	switch {
	case !info.GenesisKnown:
		info.Standing = "this phone is still learning the group from its members"
	case info.LinkError != "":
		info.Standing = info.LinkError
	case info.Standing == "" && st.Kind() == group.KindAnnounce && !(std.Owner || std.Admin || std.Poster):
		info.Standing = "only the organisers post in " + info.Name
	}
	info.Expired = st.Expired(e.clock())
	info.CanPost = info.Standing == "" && !info.Expired
	return info
}

func keysOf[K ~[]byte](ks []K) [][]byte {
	out := make([][]byte, len(ks))
	for i, k := range ks {
		out[i] = k
	}
	return out
}

// InviteLink returns a link to a joined group naming relays.
func (e *Engine) InviteLink(groupID string, relays []string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	j, err := e.groupLocked(groupID)
	if err != nil {
		return "", err
	}
	inv, err := j.st.Invite(relays)
	if err != nil {
		if errors.Is(err, group.ErrBadInvite) {
			return "", wrap(err)
		}
		return "", &Error{Code: codeOrArgument(err), Err: err}
	}
	return inv.Link(), nil
}

func codeOrArgument(err error) string {
	if c := codeFor(err); c != CodeInternal {
		return c
	}
	return CodeStale
}
