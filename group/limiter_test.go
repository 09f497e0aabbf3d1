package group_test

import (
	"errors"
	"testing"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

func TestLimiterRate(t *testing.T) {
	l, err := group.NewLimiter(group.LimiterConfig{Burst: 3, Rate: 1})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := create(t, "alice", group.KindOpen, time.Time{})
	other, _ := create(t, "olga", group.KindOpen, time.Time{})
	ann, bob := user(t, "ann"), user(t, "bob")
	msg := func(s *group.State, u *identity.User, sec int) *message.Message {
		return forge(t, u, s.ID(), text("x"), message.ID{}, 0, nil, at(sec))
	}
	allow := func(s *group.State, m *message.Message, now time.Time, want message.Verdict) {
		t.Helper()
		v, err := l.Allow(s, m, now)
		if v != want || (v == message.Ignore && !errors.Is(err, group.ErrRateLimited)) {
			t.Fatalf("Allow = %s, %v; want %s", v, err, want)
		}
	}
	now := at(0)
	for range 3 {
		allow(g.s, msg(g.s, ann, 0), now, message.Accept)
	}
	allow(g.s, msg(g.s, ann, 0), now, message.Ignore)
	// Other authors and other groups have their own buckets.
	allow(g.s, msg(g.s, bob, 0), now, message.Accept)
	allow(other.s, msg(other.s, ann, 0), now, message.Accept)
	// One token a second comes back, up to the burst.
	allow(g.s, msg(g.s, ann, 0), now.Add(time.Second), message.Accept)
	allow(g.s, msg(g.s, ann, 0), now.Add(time.Second), message.Ignore)
	later := now.Add(time.Hour)
	for range 3 {
		allow(g.s, msg(g.s, ann, 0), later, message.Accept)
	}
	allow(g.s, msg(g.s, ann, 0), later, message.Ignore)
}

func TestLimiterSlowMode(t *testing.T) {
	l, err := group.NewLimiter(group.LimiterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	alice, history := create(t, "alice", group.KindOpen, time.Time{})
	bob := join(t, alice, "bob", at(1), history...)
	ten := 10 * time.Second
	slow := alice.own(t)(alice.s.Update(alice.u, group.Update{SlowMode: &ten}, at(2)))
	bob.accept(t, at(2), slow...)
	if bob.s.SlowMode() != 10*time.Second {
		t.Fatalf("SlowMode = %s", bob.s.SlowMode())
	}
	carol := user(t, "carol")
	for _, c := range []struct {
		sec  int
		want message.Verdict
	}{{100, message.Accept}, {105, message.Ignore}, {109, message.Ignore}, {110, message.Accept}, {101, message.Ignore}, {125, message.Accept}} {
		m := forge(t, carol, bob.s.ID(), text("x"), message.ID{}, 0, nil, at(c.sec))
		if v, err := l.Allow(bob.s, m, at(c.sec)); v != c.want {
			t.Errorf("text sent at %d: %s (%v), want %s", c.sec, v, err, c.want)
		}
	}
	// The owner and admins are exempt; other kinds are not slowed.
	for sec := 200; sec < 203; sec++ {
		if v, err := l.Allow(bob.s, alice.compose(t, text("x"), at(sec)), at(sec)); v != message.Accept {
			t.Errorf("owner at %d: %s %v", sec, v, err)
		}
		pr := forge(t, carol, bob.s.ID(), group.Profile{Nick: "c", X25519: x25519Of(t, carol)}, message.ID{}, 0, nil, at(sec))
		if v, err := l.Allow(bob.s, pr, at(sec)); v != message.Accept {
			t.Errorf("profile at %d: %s %v", sec, v, err)
		}
	}
}

func TestLimiterBoundsAuthors(t *testing.T) {
	l, err := group.NewLimiter(group.LimiterConfig{Burst: 2, Rate: 1, MaxAuthors: 2})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := create(t, "alice", group.KindOpen, time.Time{})
	send := func(name string, now time.Time) message.Verdict {
		v, _ := l.Allow(g.s, forge(t, user(t, name), g.s.ID(), text("x"), message.ID{}, 0, nil, now), now)
		return v
	}
	if send("a", at(0)) != message.Accept || send("b", at(0)) != message.Accept {
		t.Fatal("the first two authors were refused")
	}
	if v := send("c", at(0)); v != message.Ignore {
		t.Fatalf("a third author while both are busy: %s", v)
	}
	// Once the others are idle (bucket refilled, past the skew window), a
	// new author gets their place.
	if v := send("c", at(400)); v != message.Accept {
		t.Fatalf("a new author after the others went idle: %s", v)
	}
	for _, bad := range []group.LimiterConfig{{Burst: -1}, {Rate: -1}, {MaxAuthors: -1}} {
		if _, err := group.NewLimiter(bad); err == nil {
			t.Errorf("NewLimiter(%+v) accepted", bad)
		}
	}
}
