package group_test

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"starling/group"
	"starling/message"
)

// benchGroup returns alice's state of a group of the kind, and bob's state
// that judges alice's messages.
func benchGroup(b *testing.B, kind group.Kind) (alice, bob *peer) {
	alice, history := create(b, "alice", kind, at(3600*24))
	return alice, join(b, alice, "bob", at(1), history...)
}

func BenchmarkCheck(b *testing.B) {
	for _, kind := range []group.Kind{group.KindOpen, group.KindPrivate} {
		b.Run(kind.String(), func(b *testing.B) {
			alice, bob := benchGroup(b, kind)
			m := alice.compose(b, text("a typical chat line of some forty bytes"), at(2))
			for b.Loop() {
				if _, v, err := bob.s.Check(m, at(3)); v != message.Accept {
					b.Fatal(v, err)
				}
			}
		})
	}
}

func BenchmarkCompose(b *testing.B) {
	for _, kind := range []group.Kind{group.KindOpen, group.KindPrivate} {
		b.Run(kind.String(), func(b *testing.B) {
			alice, _ := benchGroup(b, kind)
			for b.Loop() {
				alice.compose(b, text("a typical chat line of some forty bytes"), at(2))
			}
		})
	}
}

// BenchmarkRemoveMember: one HPKE seal per remaining member.
func BenchmarkRemoveMember(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			g := newBigGroup(b, n)
			victim := g.others[0]
			for b.Loop() {
				if _, err := g.alice.s.RemoveMember(g.alice.u, victim, at(3)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseInvite(b *testing.B) {
	alice, _ := benchGroup(b, group.KindPrivate)
	inv, err := alice.s.Invite([]string{"/ip4/127.0.0.1/tcp/4001"})
	if err != nil {
		b.Fatal(err)
	}
	link := inv.Link()
	for b.Loop() {
		if _, err := group.ParseInvite(link); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLimiterAllow(b *testing.B) {
	l, err := group.NewLimiter(group.LimiterConfig{Rate: 1e9, Burst: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	alice, _ := benchGroup(b, group.KindOpen)
	m := forge(b, user(b, "carol"), alice.s.ID(), text("x"), message.ID{}, 0, nil, at(2))
	for b.Loop() {
		if v, err := l.Allow(alice.s, m, at(2)); v != message.Accept {
			b.Fatal(v, err)
		}
	}
}

// bigGroup is a private group owned by alice with n members who each
// published a profile (manyMembers), as alice's node and as bob's (one of
// the members) know it.
type bigGroup struct {
	alice, bob *peer
	others     []ed25519.PublicKey // the members but alice and bob
}

func newBigGroup(b testing.TB, n int) *bigGroup {
	b.Helper()
	alice, real, _ := manyMembers(b, n, "bob")
	g := &bigGroup{alice: alice, bob: real[0]}
	g.bob.deliver(b, at(2), alice.stored()...)
	for _, k := range alice.s.Members() {
		if !k.Equal(alice.u.PublicKey()) && !k.Equal(g.bob.u.PublicKey()) {
			g.others = append(g.others, k)
		}
	}
	return g
}

func envelopeBytes(ms []*message.Message) int {
	n := 0
	for _, m := range ms {
		n += len(m.Raw)
	}
	return n
}

// BenchmarkGroup5000 measures the authority at 5,000 members with
// profiles (issue 13's closing note), on a member's node (bob's) that
// holds the group's Ops and all profiles, with one removal in the
// history:
//
//	check-text      Check of a member's text (on alice's node)
//	check-op        Check of a settings Op by the owner (not applied)
//	apply-op        Check and Apply of a new settings Op (the history
//	                grows by one Op per iteration); check-ns/op and
//	                apply-ns/op split it
//	remove          RemoveMember by the owner: the Op and its parts (one
//	                HPKE seal per member), not applied; parts/op and
//	                bytes/op are its messages and their envelope bytes
//	receive-remove  Check and Apply of a removal (its Op and every part)
//	                on bob's node (alice composes and applies it untimed);
//	                check-ns/op and apply-ns/op split it
//
// The setup (10,000 profiles checked and applied, one removal) takes tens
// of seconds; the mutating sub-benchmarks run last. Run with a fixed
// count, e.g. -benchtime=20x: every iteration of apply-op and
// receive-remove adds an Op.
func BenchmarkGroup5000(b *testing.B) {
	const n = 5000
	g := newBigGroup(b, n)
	alice, bob := g.alice, g.bob
	bob.deliver(b, at(2), alice.own(b)(alice.s.RemoveMember(alice.u, g.others[0], at(2)))...)
	if got := len(bob.s.Members()); got != n+1 {
		b.Fatalf("bob knows %d members, want %d", got, n+1)
	}
	b.Run("check-text", func(b *testing.B) {
		// A member's text on the owner's node: membership is weighed
		// against the removal.
		m := bob.compose(b, text("a typical chat line of some forty bytes"), at(3))
		for b.Loop() {
			if _, v, err := alice.s.Check(m, at(3)); v != message.Accept {
				b.Fatal(v, err)
			}
		}
	})
	b.Run("check-op", func(b *testing.B) {
		ms, err := alice.s.Update(alice.u, group.Update{Name: "renamed"}, at(3))
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, v, err := bob.s.Check(ms[0], at(3)); v != message.Accept {
				b.Fatal(v, err)
			}
		}
	})
	b.Run("apply-op", func(b *testing.B) {
		var t checkApplyTimer
		for b.Loop() {
			b.StopTimer()
			t.ops++
			ms := alice.own(b)(alice.s.Update(alice.u, group.Update{Name: fmt.Sprintf("name %d", t.ops)}, at(4)))
			b.StartTimer()
			t.receive(b, bob, at(4), ms...)
		}
		t.report(b)
	})
	b.Run("remove", func(b *testing.B) {
		victim := g.others[n/2]
		var ms []*message.Message
		for b.Loop() {
			var err error
			if ms, err = alice.s.RemoveMember(alice.u, victim, at(5)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(ms)-1), "parts/op")
		b.ReportMetric(float64(envelopeBytes(ms)), "bytes/op")
	})
	b.Run("receive-remove", func(b *testing.B) {
		var t checkApplyTimer
		for b.Loop() {
			b.StopTimer()
			t.ops++
			ms := alice.own(b)(alice.s.RemoveMember(alice.u, g.others[t.ops], at(6)))
			b.StartTimer()
			t.receive(b, bob, at(6), ms...)
		}
		t.report(b)
	})
}

// checkApplyTimer splits the time of receiving Ops into Check and Apply.
type checkApplyTimer struct {
	ops          int
	check, apply time.Duration
}

// receive checks and applies ms on p's node, as gossip would, timing each.
func (t *checkApplyTimer) receive(b *testing.B, p *peer, now time.Time, ms ...*message.Message) {
	for _, m := range ms {
		start := time.Now()
		c, v, err := p.s.Check(m, now)
		t.check += time.Since(start)
		if v != message.Accept {
			b.Fatal(v, err)
		}
		start = time.Now()
		p.s.Apply(m, c)
		t.apply += time.Since(start)
	}
}

func (t *checkApplyTimer) report(b *testing.B) {
	if t.ops > 0 {
		b.ReportMetric(float64(t.check.Nanoseconds())/float64(t.ops), "check-ns/op")
		b.ReportMetric(float64(t.apply.Nanoseconds())/float64(t.ops), "apply-ns/op")
	}
}
