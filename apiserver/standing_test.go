package apiserver_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"starling/api"
	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

// ownedBackend is the fake backend with one created open group, "forum",
// whose owner is someone else: its State is real, so standing, bans and
// unbans go through the group's own rules. The fake's user (alice) is a
// member whom the owner may ban.
type ownedBackend struct {
	*fakeBackend
	owner *identity.User
	g     store.Group
	st    *group.State // safe for concurrent use
}

func newOwnedBackend(t *testing.T) *ownedBackend {
	t.Helper()
	fb := newFakeBackend(t)
	owner := mustUser(t, "olga", fixedKey("olga"))
	st, _, err := group.Create(owner, group.KindOpen, "forum", time.Time{}, time.Now(), group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// alice joined by link: her profile is in the group.
	p, err := group.NewProfile(fb.user)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := st.Compose(fb.user, p, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st.Apply(pm, p)
	g := store.Group{ID: st.ID(), Name: "forum", Kind: "open", JoinedAt: fb.started}
	if err := fb.store.PutGroup(g); err != nil {
		t.Fatal(err)
	}
	return &ownedBackend{fakeBackend: fb, owner: owner, g: g, st: st}
}

func (b *ownedBackend) ref() string { return b.g.ID.String() }

func (b *ownedBackend) GroupState(ref string) (store.Group, *group.State, error) {
	if ref == b.ref() {
		return b.g, b.st, nil
	}
	return b.fakeBackend.GroupState(ref)
}

// Send composes as a node does: the group's State refuses what its rules
// would not accept.
func (b *ownedBackend) Send(ctx context.Context, ref, text string) (*message.Message, int, error) {
	if ref != b.ref() {
		return b.fakeBackend.Send(ctx, ref, text)
	}
	m, err := b.st.Compose(b.user, group.Text{Text: text, Nick: b.user.Name}, time.Now())
	if err != nil {
		return nil, 0, err
	}
	if _, err := b.store.PutOwn(ctx, m); err != nil {
		return nil, 0, err
	}
	return m, 1, nil
}

// op applies the owner's operation on the member fp names.
func (b *ownedBackend) op(fp identity.Fingerprint, sign func(ed25519.PublicKey) ([]*message.Message, error)) (*message.Message, int, error) {
	k, ok := b.st.Person(fp)
	if !ok {
		return nil, 0, errors.New("nobody with that fingerprint")
	}
	msgs, err := sign(k)
	if err != nil {
		return nil, 0, err
	}
	for _, m := range msgs {
		c, err := b.st.Open(m)
		if err != nil {
			return nil, 0, err
		}
		b.st.Apply(m, c)
	}
	return msgs[0], 1, nil
}

func (b *ownedBackend) Ban(_ context.Context, _ string, fp identity.Fingerprint, reason string) (*message.Message, int, error) {
	return b.op(fp, func(k ed25519.PublicKey) ([]*message.Message, error) {
		return b.st.BanMember(b.owner, k, reason, time.Now())
	})
}

func (b *ownedBackend) Unban(_ context.Context, _ string, fp identity.Fingerprint) (*message.Message, int, error) {
	return b.op(fp, func(k ed25519.PublicKey) ([]*message.Message, error) { return b.st.UnbanMember(b.owner, k, time.Now()) })
}

// AddMember records the call: the forum is open, and admitting members
// is for private groups.
func (b *ownedBackend) AddMember(_ context.Context, ref string, fp identity.Fingerprint) error {
	if ref != b.ref() || fp != b.user.Fingerprint() {
		return errors.New("add: wrong group or member")
	}
	return nil
}

// A banned user's group detail and status say why they cannot post, and
// their send is refused with that line and a 403, not a 500; after an
// unban they post again.
func TestStandingAndRefusal(t *testing.T) {
	b := newOwnedBackend(t)
	s := startServer(t, b)
	c, ctx := s.client, context.Background()
	me, owner := string(b.user.Fingerprint()), string(b.owner.Fingerprint())

	if _, err := c.Send(ctx, b.ref(), "hello forum"); err != nil {
		t.Fatal(err)
	}
	d, err := c.Group(ctx, b.ref())
	if err != nil {
		t.Fatal(err)
	}
	if !d.You.Member || d.You.Banned || d.You.Why != "" || d.Refused != "" || d.Banned == nil || len(d.Banned) != 0 {
		t.Errorf("before the ban: you %+v, banned %q, refused %q", d.You, d.Banned, d.Refused)
	}

	// The owner bans her (through the API, as their node would).
	if _, err := c.Ban(ctx, b.ref(), me, "spam"); err != nil {
		t.Fatal(err)
	}
	d, err = c.Group(ctx, b.ref())
	if err != nil {
		t.Fatal(err)
	}
	why := d.You.Why
	if !d.You.Banned || d.You.Member || d.You.By != owner || d.You.At == nil || d.You.Reason != "spam" ||
		!strings.HasPrefix(why, "you are banned from forum by "+owner+" at ") || !strings.HasSuffix(why, " (spam)") {
		t.Errorf("after the ban: you %+v", d.You)
	}
	if len(d.Banned) != 1 || d.Banned[0] != me || d.Refused != why {
		t.Errorf("after the ban: banned %q (want %s), refused %q", d.Banned, me, d.Refused)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Groups) != 1 || st.Groups[0].Refused != why {
		t.Errorf("status groups %+v, want forum refused with %q", st.Groups, why)
	}

	_, err = c.Send(ctx, b.ref(), "let me back in")
	var apiErr *api.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden || apiErr.Message != why {
		t.Errorf("send while banned = %v, want a 403 saying %q", err, why)
	}
	s.requireError(t, http.StatusForbidden, "you are banned from forum", "POST", "/v1/groups/"+b.ref()+"/messages", `{"text":"raw"}`)

	if _, err := c.Unban(ctx, b.ref(), me); err != nil {
		t.Fatal(err)
	}
	if d, err = c.Group(ctx, b.ref()); err != nil || d.You.Banned || d.You.Why != "" || len(d.Banned) != 0 {
		t.Errorf("after the unban: you %+v, banned %q, %v", d.You, d.Banned, err)
	}
	if _, err := c.Send(ctx, b.ref(), "back again"); err != nil {
		t.Errorf("send after the unban: %v", err)
	}

	// add routes to the backend with the member's fingerprint.
	if _, err := c.AddMember(ctx, b.ref(), me); err != nil {
		t.Errorf("AddMember: %v", err)
	}
	s.requireError(t, http.StatusBadRequest, "member", "POST", "/v1/groups/"+b.ref()+"/add", `{"member":"nobody"}`)
	s.requireError(t, http.StatusBadRequest, "member", "POST", "/v1/groups/"+b.ref()+"/unban", `{}`)
}

// A channel's detail says its user is a plain member, in the JSON every
// client reads.
func TestChannelStanding(t *testing.T) {
	b := newFakeBackend(t)
	s := startServer(t, b)
	s.get(t, "POST", "/v1/groups", `{"name":"lobby"}`, &api.Group{})
	_, body := s.request(t, "GET", "/v1/groups/lobby", "")
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["banned"]) != "[]" || string(raw["you"]) != `{"member":true,"owner":false,"admin":false,"poster":false,"removed":false,"banned":false,"stale":false}` {
		t.Errorf("channel detail: banned %s, you %s", raw["banned"], raw["you"])
	}
	if _, ok := raw["refused"]; ok {
		t.Errorf("a channel's detail carries refused: %s", body)
	}
}
