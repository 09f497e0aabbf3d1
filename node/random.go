package node

import (
	"math/rand/v2"
	"sync"
	"time"
)

// random is the node's source for its own random choices: which peer a
// periodic catch-up asks, and the jitter of relay retries and sync rounds
// (each Redial loop draws from a source of its own, seeded from seed). It is
// safe for concurrent use. Seeded (Config.Seed), it makes those choices
// repeatable, as the simulator wants; libp2p and pubsub draw from their own
// sources.
type random struct {
	seed uint64 // also seeds each Redial loop's own source
	mu   sync.Mutex
	r    *rand.Rand
}

// newRandom seeds a source with seed, or from the runtime's own random
// source when seed is 0.
func newRandom(seed uint64) *random {
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &random{seed: seed, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (r *random) intN(n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.IntN(n)
}

func (r *random) float64() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Float64()
}

func (r *random) shuffle(n int, swap func(i, j int)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.r.Shuffle(n, swap)
}

// jitter is spread with this source's next draw.
func (r *random) jitter(d time.Duration) time.Duration { return spread(d, r.float64()) }

// spread moves d by ±20 %, u (in [0, 1)) choosing where, so that peers
// restarted together do not redial or sync in lockstep.
func spread(d time.Duration, u float64) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*u))
}
