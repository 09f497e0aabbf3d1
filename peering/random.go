package peering

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Random is a node's source for its own random choices: which peer a
// periodic catch-up asks, and the jitter of relay retries and sync rounds
// (each Redial loop draws from a source of its own, seeded from Seed). It
// is safe for concurrent use. Seeded, it makes those choices repeatable, as
// the simulator wants; libp2p and pubsub draw from their own sources.
type Random struct {
	seed uint64 // also seeds each Redial loop's own source
	mu   sync.Mutex
	r    *rand.Rand
}

// NewRandom seeds a source with seed, or from the runtime's own random
// source when seed is 0.
func NewRandom(seed uint64) *Random {
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &Random{seed: seed, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Seed returns the seed, which also seeds each Redial loop's own source.
func (r *Random) Seed() uint64 { return r.seed }

// IntN returns a number in [0, n).
func (r *Random) IntN(n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.IntN(n)
}

// Float64 returns a number in [0, 1).
func (r *Random) Float64() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Float64()
}

// Shuffle shuffles n elements with swap.
func (r *Random) Shuffle(n int, swap func(i, j int)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.r.Shuffle(n, swap)
}

// Jitter is spread with this source's next draw.
func (r *Random) Jitter(d time.Duration) time.Duration { return spread(d, r.Float64()) }

// spread moves d by ±20 %, u (in [0, 1)) choosing where, so that peers
// restarted together do not redial or sync in lockstep.
func spread(d time.Duration, u float64) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*u))
}
