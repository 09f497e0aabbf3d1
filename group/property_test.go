package group_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

var propertyRounds = flag.Int("authority.rounds", 60, "random histories per group kind in TestAuthorityConverges")

// The property of issue 13: any two nodes that hold the same set of Ops
// compute the same authority, whatever the order they arrived in, and keep
// the same set of messages. Random histories from an owner, several admins
// (granted and revoked at random, so some sign Ops concurrent with their
// revocation) and members who are no admin, with random parents, random
// bans, unbans, removals, re-adds, rekeys, role and settings changes, cuts
// and backdated messages, are delivered to several nodes in random orders.
func TestAuthorityConverges(t *testing.T) {
	rounds := *propertyRounds
	if testing.Short() || raceEnabled {
		rounds = 8
	}
	for _, kind := range []group.Kind{group.KindOpen, group.KindAnnounce, group.KindPrivate} {
		t.Run(kind.String(), func(t *testing.T) {
			for round := range rounds {
				seed := uint64(round)*7919 + uint64(kind)
				h := newHistory(t, kind, seed)
				h.generate(40, 30)
				var first string
				for n := range 4 {
					p := h.node(t, fmt.Sprintf("node%d", n))
					order := slices.Clone(h.all)
					rng := mrand.New(mrand.NewPCG(seed, uint64(n)))
					rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
					// As catch-up would: offer everything again until
					// nothing more is taken.
					for p.deliver(t, h.end, order...) > 0 {
					}
					h.consistent(p)
					got := h.describe(p)
					if n == 0 {
						h.first = p
						first = got
						continue
					}
					if got != first {
						for _, m := range h.all {
							_, v0, e0 := h.first.s.Check(m, h.end)
							_, v1, e1 := p.s.Check(m, h.end)
							if v0 != v1 {
								t.Logf("%s %s by %x: node0 %s (%v), node%d %s (%v)", m.Body.Kind, m.ID.Short(), m.Body.Author[:2], v0, e0, n, v1, e1)
								t.Logf("node0: %s", h.first.s.TombDebug(m.ID))
								t.Logf("node%d: %s", n, p.s.TombDebug(m.ID))
								for _, d := range h.all {
									if d.Body.Kind == message.KindDelete && d.Body.Ref == m.ID {
										_, a0, ae0 := h.first.s.Check(d, h.end)
										_, a1, ae1 := p.s.Check(d, h.end)
										t.Logf("delete %s by %x: node0 %s %v stored %v, node%d %s %v stored %v", d.ID.Short(), d.Body.Author[:2], a0, ae0, h.first.has(d), n, a1, ae1, p.has(d))
									}
								}
							}
						}
						t.Fatalf("seed %d: node%d differs from node0:\n%s\n---\n%s", seed, n, first, got)
					}
				}
			}
		})
	}
}

// history is a random set of a group's messages, built by an omniscient
// generator that signs for everyone and skips every check, as attackers
// and concurrent honest admins together would.
type history struct {
	t     *testing.T
	kind  group.Kind
	rng   *mrand.Rand
	owner *peer
	users []*identity.User
	end   time.Time

	all   []*message.Message
	ops   []*message.Message // the genesis and Ops
	epoch map[message.ID]uint64
	texts []*message.Message
	ctl   []byte
	link  string
	first *peer
}

func newHistory(t *testing.T, kind group.Kind, seed uint64) *history {
	owner, msgs := create(t, "owner", kind, time.Time{})
	h := &history{t: t, kind: kind, rng: mrand.New(mrand.NewPCG(seed, 1)), owner: owner, end: at(10000), epoch: map[message.ID]uint64{}}
	for _, n := range []string{"u1", "u2", "u3", "u4", "u5"} {
		h.users = append(h.users, user(t, n))
	}
	inv, err := owner.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	h.link = inv.Link()
	if kind == group.KindPrivate {
		if h.ctl, err = group.ControlKey(inv.Secret, owner.s.ID()); err != nil {
			t.Fatal(err)
		}
	}
	h.all = append(h.all, msgs...)
	h.ops = append(h.ops, msgs[0])
	if kind == group.KindPrivate {
		h.epoch[msgs[0].ID] = 1
	}
	// Everyone's profile, sealed under epoch 1.
	for _, u := range h.users {
		h.all = append(h.all, h.post(u, mustProfile(t, u), message.ID{}, 1))
	}
	return h
}

func mustProfile(t *testing.T, u *identity.User) group.Profile {
	p, err := group.NewProfile(u)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// node joins the group with the generator's link.
func (h *history) node(t *testing.T, name string) *peer {
	parsed, err := group.ParseInvite(h.link)
	if err != nil {
		t.Fatal(err)
	}
	p := newPeer(user(t, name))
	if p.s, err = group.FromInvite(parsed, p.u, p.cfg()); err != nil {
		t.Fatal(err)
	}
	p.store[parsed.Descriptor.ID] = parsed.Descriptor
	return p
}

// post signs a text or profile by u at a random time, sealed under epoch
// 1's key in a private group.
func (h *history) post(u *identity.User, c group.Content, ref message.ID, sec int) *message.Message {
	var key []byte
	var epoch uint64
	if h.kind == group.KindPrivate {
		parsed, _ := group.ParseInvite(h.link)
		k, err := group.FirstEpochKey(parsed.Secret, h.owner.s.ID())
		if err != nil {
			h.t.Fatal(err)
		}
		key, epoch = k, 1
	}
	return forge(h.t, u, h.owner.s.ID(), c, ref, epoch, key, at(sec))
}

func (h *history) pick(n int) int { return h.rng.IntN(n) }

// generate adds nOps Ops and nTexts texts, interleaved.
func (h *history) generate(nOps, nTexts int) {
	for i := range nOps + nTexts {
		if h.pick(nOps+nTexts) < nTexts && len(h.texts) < nTexts {
			u := h.users[h.pick(len(h.users))]
			if h.pick(6) == 0 {
				u = h.owner.u
			}
			var ref message.ID
			var c group.Content = text(fmt.Sprintf("t%d", i))
			if len(h.texts) > 0 && h.pick(5) == 0 {
				target := h.texts[h.pick(len(h.texts))]
				c, ref = group.Delete{Target: target.ID}, target.ID
			}
			m := h.post(u, c, ref, 1+h.pick(9000))
			h.texts = append(h.texts, m)
			h.all = append(h.all, m)
			continue
		}
		h.op(i)
	}
}

// op signs a random Op with random parents.
func (h *history) op(i int) {
	author := h.owner.u
	switch r := h.pick(10); {
	case r >= 5 && r < 9:
		author = h.users[h.pick(3)] // u1-u3 are made admins now and then
	case r == 9:
		author = h.users[3+h.pick(2)]
	}
	var parents []message.ID
	for range 1 + h.pick(3) {
		parents = append(parents, h.ops[h.pick(len(h.ops))].ID)
	}
	slices.SortFunc(parents, func(a, b message.ID) int { return bytes.Compare(a[:], b[:]) })
	parents = slices.Compact(parents)
	var maxEpoch uint64
	for _, p := range parents {
		maxEpoch = max(maxEpoch, h.epoch[p])
	}
	who := h.users[h.pick(len(h.users))].PublicKey()
	if h.pick(20) == 0 {
		who = h.owner.u.PublicKey() // structurally bad
	}
	var (
		act   group.Action
		key   *group.KeyDelivery
		parts []group.OpPart
	)
	actions := []int{0, 1, 1, 2, 2, 3}
	switch h.kind {
	case group.KindAnnounce:
		actions = append(actions, 4, 4)
	case group.KindPrivate:
		actions = append(actions, 5, 5, 6, 7)
	}
	switch actions[h.pick(len(actions))] {
	case 0:
		act = group.Settings{Name: fmt.Sprintf("name %d", i), SlowModeSeconds: uint32(h.pick(3))}
	case 1:
		act = group.SetRole{Member: who, Role: group.RoleAdmin}
		if h.pick(2) == 0 {
			act = group.SetRole{Member: who, Role: group.RoleMember}
		}
	case 2:
		act = group.Ban{Member: who}
	case 3:
		act = group.Unban{Member: who}
	case 4:
		act = group.SetRole{Member: who, Role: group.RolePoster}
	case 5:
		act = group.Remove{Member: who}
	case 6:
		act = group.Add{Member: who}
	case 7:
		act = group.Rekey{}
	}
	epoch := uint64(0)
	switch act.(type) {
	case group.Remove, group.Add, group.Rekey:
		epoch = maxEpoch + 1
		if h.pick(15) == 0 {
			epoch++ // structurally bad
		}
		k := make([]byte, group.KeySize)
		rand.Read(k)
		key = &group.KeyDelivery{Epoch: epoch, KeyID: group.KeyIDOf(k), Fresh: true}
		var entries []group.KeyEntry
		for _, u := range append([]*identity.User{h.owner.u}, h.users...) {
			if u.PublicKey().Equal(who) {
				if _, remove := act.(group.Remove); remove {
					continue
				}
			}
			entries = append(entries, sealTo(h.t, h.owner.s.ID(), epoch, k, u))
		}
		slices.SortFunc(entries, func(a, b group.KeyEntry) int { return bytes.Compare(a.Member, b.Member) })
		parts = append(parts, group.OpPart{Keys: entries})
	}
	switch act := act.(type) {
	case group.Ban, group.Remove:
		parts = append(parts, h.cut(who))
	case group.SetRole:
		if h.kind == group.KindAnnounce && act.Role == group.RoleMember {
			parts = append(parts, h.cut(who))
		}
	}
	op := group.Op{Parents: parents, Action: act, Key: key}
	for i := range parts {
		parts[i].Index = i
		b, err := group.EncodePayload(parts[i])
		if err != nil {
			h.t.Fatal(err)
		}
		op.Parts = append(op.Parts, sha256Sum(b))
	}
	sec := 1 + h.pick(9000)
	om := forge(h.t, author, h.owner.s.ID(), op, message.ID{}, 0, h.ctl, at(sec))
	h.ops = append(h.ops, om)
	h.all = append(h.all, om)
	h.epoch[om.ID] = max(maxEpoch, epoch)
	for _, p := range parts {
		h.all = append(h.all, forge(h.t, author, h.owner.s.ID(), p, om.ID, 0, h.ctl, at(sec)))
	}
}

// cut keeps a random half of who's texts.
func (h *history) cut(who ed25519.PublicKey) group.OpPart {
	var ids []message.ID
	for _, m := range h.texts {
		if m.Body.Author.Equal(who) && h.pick(2) == 0 {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		ids = append(ids, message.ID{1}) // a message nobody has
	}
	slices.SortFunc(ids, func(a, b message.ID) int { return bytes.Compare(a[:], b[:]) })
	return group.OpPart{Cut: ids}
}

// describe is everything a node resolved and kept.
func (h *history) describe(p *peer) string {
	var b strings.Builder
	d, _, _ := p.s.Descriptor()
	fmt.Fprintf(&b, "settings %q %d %d ops %d epoch %d rekey %v\n", d.Name, d.SlowModeSeconds, d.EndsAtMS, d.Version, p.s.Epoch(), p.s.NeedsRekey())
	for _, u := range append([]*identity.User{h.owner.u}, h.users...) {
		st := p.s.Standing(u.PublicKey())
		fmt.Fprintf(&b, "%s member %v admin %v poster %v removed %v banned %v stale %v\n", u.Name, st.Member, st.Admin, st.Poster, st.Removed, st.Banned, st.Stale)
	}
	var kept []string
	for _, m := range p.stored() {
		if m.Body.Kind == message.KindOp || m.Body.Kind == message.KindOpPart || m.Body.Kind == message.KindDescriptor {
			kept = append(kept, "op "+m.ID.Short())
			continue
		}
		kept = append(kept, m.Body.Kind.String()+" "+m.ID.Short())
	}
	slices.Sort(kept)
	b.WriteString(strings.Join(kept, "\n"))
	return b.String()
}

func sealTo(t *testing.T, id message.GroupID, epoch uint64, key []byte, u *identity.User) group.KeyEntry {
	t.Helper()
	e, err := group.SealKeyTo(id, epoch, key, u.PublicKey(), x25519Of(t, u))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// consistent checks that a node keeps exactly what it would accept now:
// every stored message passes Check, and every other one does not.
func (h *history) consistent(p *peer) {
	h.t.Helper()
	for _, m := range h.all {
		if m.Body.Kind == message.KindOp || m.Body.Kind == message.KindDescriptor {
			continue
		}
		_, v, err := p.s.Check(m, h.end)
		if p.has(m) != (v == message.Accept) {
			h.t.Errorf("%s: %s %s by %s: stored %v, Check now says %s (%v)", p.u.Name, m.Body.Kind, m.ID.Short(), identity.FingerprintOf(m.Body.Author).Short(), p.has(m), v, err)
		}
	}
}
