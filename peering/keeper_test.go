package peering

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/sim/memnet/memtest"
)

// TestKeeper keeps three peers on one goroutine, on virtual time: two are
// dialled at once and Connected runs once for each, one dropped is
// redialled and Connected runs for it again, and one unreachable is tried
// again after each jittered backoff, doubling from Min to Max with the
// draws its seed and peer ID fix.
func TestKeeper(t *testing.T) {
	memtest.Run(t, func(t *testing.T) {
		n := memtest.Net(t)
		newHost := func() host.Host {
			h, err := libp2p.New(append(n.Host(""), libp2p.DisableRelay())...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h.Close() })
			return h
		}
		a, b, c := newHost(), newHost(), newHost()
		gone := peer.ID("an unreachable peer")

		var mu sync.Mutex
		connected := map[peer.ID]int{}
		var tries []time.Time
		const seed = 7
		r := Redial{
			Min: time.Second, Max: 8 * time.Second, Seed: seed,
			Dial: func(ctx context.Context, info peer.AddrInfo) error {
				if info.ID == gone {
					mu.Lock()
					tries = append(tries, time.Now())
					mu.Unlock()
					return errors.New("unreachable")
				}
				return a.Connect(ctx, info)
			},
			Connected: func(_ context.Context, p peer.ID) {
				mu.Lock()
				connected[p]++
				mu.Unlock()
			},
		}
		k := r.Keeper(a)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			k.Run(ctx)
			close(done)
		}()
		for _, h := range []host.Host{b, c} {
			k.Add(peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()})
		}
		k.Add(peer.AddrInfo{ID: gone})

		check := func(when string, wantB, wantC int) {
			t.Helper()
			mu.Lock()
			defer mu.Unlock()
			if connected[b.ID()] != wantB || connected[c.ID()] != wantC {
				t.Errorf("%s: Connected ran %d times for b and %d for c, want %d and %d",
					when, connected[b.ID()], connected[c.ID()], wantB, wantC)
			}
			for _, h := range []host.Host{b, c} {
				if a.Network().Connectedness(h.ID()) != network.Connected {
					t.Errorf("%s: %s not connected", when, Short(h.ID()))
				}
			}
		}
		time.Sleep(40 * time.Second)
		synctest.Wait()
		check("after 40 s", 1, 1)

		a.Network().ClosePeer(b.ID())
		time.Sleep(5 * time.Second)
		synctest.Wait()
		check("after b was dropped", 2, 1)

		cancel()
		<-done

		// The unreachable peer: tried at once, then after each backoff.
		rng := redialRand(seed, gone)
		backoff := r.Min
		mu.Lock()
		defer mu.Unlock()
		if len(tries) < 6 {
			t.Fatalf("the unreachable peer was tried %d times in 45 s, want at least 6", len(tries))
		}
		for i := 1; i < len(tries); i++ {
			want := spread(backoff, rng.Float64())
			if got := tries[i].Sub(tries[i-1]); got != want {
				t.Errorf("try %d came %s after the one before, want %s", i, got, want)
			}
			backoff = min(backoff*2, r.Max)
		}
	})
}
