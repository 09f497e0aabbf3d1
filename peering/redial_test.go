package peering

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
)

// TestRedialRandPerPeer checks that a redial loop's jitter depends on the
// seed and its peer only, so that the simulator's bare hosts, seeded like
// the nodes in their place, wait as those nodes do.
func TestRedialRandPerPeer(t *testing.T) {
	draw := func(seed uint64, p peer.ID) [4]float64 {
		r := redialRand(seed, p)
		return [4]float64{r.Float64(), r.Float64(), r.Float64(), r.Float64()}
	}
	a, b := peer.ID("peer-a"), peer.ID("peer-b")
	if draw(7, a) != draw(7, a) {
		t.Error("one seed and peer gave two sequences")
	}
	if draw(7, a) == draw(7, b) || draw(7, a) == draw(8, a) {
		t.Error("another peer or seed gave the same sequence")
	}
}
