package group_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

// t0 is the start of every test's clock; tests move it forward by seconds.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// user returns a fixed user per name, so runs are reproducible.
func user(t testing.TB, name string) *identity.User {
	t.Helper()
	seed := sha256.Sum256([]byte("starling test key: " + name))
	u, err := identity.UserFromKey(name, ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// peer is one node's view of a group plus the messages it stored, which
// back Config.AuthorOf.
type peer struct {
	u *identity.User
	s *group.State

	mu    sync.Mutex
	store map[message.ID]*message.Message
}

func newPeer(u *identity.User) *peer {
	return &peer{u: u, store: map[message.ID]*message.Message{}}
}

func (p *peer) cfg() group.Config {
	return group.Config{
		AuthorOf: func(id message.ID) (ed25519.PublicKey, bool) {
			p.mu.Lock()
			defer p.mu.Unlock()
			m, ok := p.store[id]
			if !ok {
				return nil, false
			}
			return m.Body.Author, true
		},
		MessagesBy: func(_ message.GroupID, author ed25519.PublicKey, max int) []message.ID {
			p.mu.Lock()
			defer p.mu.Unlock()
			var out []message.ID
			for id, m := range p.store {
				if m.Body.Author.Equal(author) && len(out) < max {
					out = append(out, id)
				}
			}
			return out
		},
	}
}

// receive runs Check at now and, when it accepts, stores and applies m.
func (p *peer) receive(t testing.TB, m *message.Message, now time.Time) (group.Content, message.Verdict, group.Effects, error) {
	t.Helper()
	if _, err := message.Verify(m.Raw, now); err != nil {
		t.Fatalf("%s: message.Verify: %v", p.u.Name, err)
	}
	c, v, err := p.s.Check(m, now)
	if v == message.Accept {
		if err != nil || c == nil {
			t.Fatalf("%s: Accept with error %v and content %v", p.u.Name, err, c)
		}
		p.mu.Lock()
		p.store[m.ID] = m
		p.mu.Unlock()
		return c, v, p.s.Apply(m, c), err
	}
	if err == nil {
		t.Fatalf("%s: %s without an error", p.u.Name, v)
	}
	return c, v, group.Effects{}, err
}

// want receives m and requires verdict v with an error wrapping wantErr
// (nil for Accept).
func (p *peer) want(t testing.TB, m *message.Message, now time.Time, v message.Verdict, wantErr error) group.Content {
	t.Helper()
	c, got, _, err := p.receive(t, m, now)
	if got != v || (wantErr != nil && !errors.Is(err, wantErr)) {
		t.Fatalf("%s: %s %s: got %s (%v), want %s (%v)", p.u.Name, m.Body.Kind, m.ID.Short(), got, err, v, wantErr)
	}
	return c
}

func (p *peer) accept(t testing.TB, now time.Time, ms ...*message.Message) {
	t.Helper()
	for _, m := range ms {
		p.want(t, m, now, message.Accept, nil)
	}
}

func (p *peer) compose(t testing.TB, c group.Content, now time.Time) *message.Message {
	t.Helper()
	m, err := p.s.Compose(p.u, c, now)
	if err != nil {
		t.Fatalf("%s: Compose %T: %v", p.u.Name, c, err)
	}
	return m
}

// create makes a group owned by name and a peer for its owner; msgs are
// the descriptor and the owner's profile.
func create(t testing.TB, name string, kind group.Kind, endsAt time.Time) (*peer, []*message.Message) {
	t.Helper()
	p := newPeer(user(t, name))
	s, msgs, err := group.Create(p.u, kind, "The "+name+" group", endsAt, at(0), p.cfg())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	p.s = s
	for _, m := range msgs {
		p.store[m.ID] = m
	}
	return p, msgs
}

// join makes name a member through an invite link from inviter, and
// delivers every message in history to it (as catch-up would).
func join(t testing.TB, inviter *peer, name string, now time.Time, history ...*message.Message) *peer {
	t.Helper()
	inv, err := inviter.s.Invite([]string{"/ip4/127.0.0.1/tcp/4001"})
	if err != nil {
		t.Fatalf("Invite: %v", err)
	}
	parsed, err := group.ParseInvite(inv.Link())
	if err != nil {
		t.Fatalf("ParseInvite: %v", err)
	}
	p := newPeer(user(t, name))
	if p.s, err = group.FromInvite(parsed, p.u, p.cfg()); err != nil {
		t.Fatalf("FromInvite: %v", err)
	}
	p.store[parsed.Descriptor.ID] = parsed.Descriptor
	p.deliver(t, now, history...)
	return p
}

// profile composes p's profile.
func (p *peer) profile(t testing.TB, now time.Time) *message.Message {
	t.Helper()
	pr, err := group.NewProfile(p.u)
	if err != nil {
		t.Fatal(err)
	}
	return p.compose(t, pr, now)
}

// forge signs a message by u in group id with the given payload, sealing
// it under key at epoch when key is not nil. It skips every check of
// package group, as an attacker would.
func forge(t testing.TB, u *identity.User, id message.GroupID, c group.Content, ref message.ID, epoch uint64, key []byte, now time.Time) *message.Message {
	t.Helper()
	payload, err := group.EncodePayload(c)
	if err != nil {
		t.Fatal(err)
	}
	return forgeRaw(t, u, id, c.MessageKind(), ref, epoch, key, payload, now)
}

func text(s string) group.Text { return group.Text{Text: s, Nick: "n"} }

func x25519Of(t testing.TB, u *identity.User) []byte {
	t.Helper()
	k, err := u.X25519Public()
	if err != nil {
		t.Fatal(err)
	}
	return k.Bytes()
}
