package group_test

import (
	"fmt"
	"testing"

	"starling/group"
	"starling/identity"
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
				if _, v, err := bob.s.Check(m, at(3)); v != group.Accept {
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
			alice, history := create(b, "alice", group.KindPrivate, at(3600*24))
			var last *identity.User
			for i := range n {
				p := join(b, alice, fmt.Sprintf("m%d", i), at(1), history...)
				alice.accept(b, at(2), p.profile(b, at(2)))
				last = p.u
			}
			for b.Loop() {
				if _, err := alice.s.RemoveMember(alice.u, last.PublicKey(), at(3)); err != nil {
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
		if v, err := l.Allow(alice.s, m, at(2)); v != group.Accept {
			b.Fatal(v, err)
		}
	}
}
