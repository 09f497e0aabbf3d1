package node

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// TestPenalties: an offence scores -offencePenalty, halves every
// penaltyHalfLife and is forgotten below 1; other peers score 0 throughout,
// as every peer does before the first offence.
func TestPenalties(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	p := newPenalties(func() time.Time { return now })
	evil, honest := peer.ID("evil"), peer.ID("honest")
	if s := p.score(evil); s != 0 {
		t.Fatalf("score before any offence: %v", s)
	}
	p.add(evil)
	if s := p.score(evil); s != -offencePenalty {
		t.Errorf("score after an offence: %v, want %v", s, -offencePenalty)
	}
	if s := p.score(honest); s != 0 {
		t.Errorf("another peer's score: %v", s)
	}
	now = now.Add(penaltyHalfLife)
	if s := p.score(evil); s != -offencePenalty/2 {
		t.Errorf("score a half-life later: %v, want %v", s, -offencePenalty/2)
	}
	now = now.Add(12 * penaltyHalfLife) // 3000/2^13 < 1
	if s := p.score(evil); s != 0 {
		t.Errorf("score once decayed below 1: %v", s)
	}
	if n := p.held.Load(); n != 0 {
		t.Errorf("%d penalties held once all decayed", n)
	}
	p.add(evil)
	if s := p.score(evil); s != -offencePenalty {
		t.Errorf("score after a second offence: %v", s)
	}
}
