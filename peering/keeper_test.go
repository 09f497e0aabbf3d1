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
		mu.Lock()
		defer mu.Unlock()
		checkBackoff(t, r, gone, tries, 0, 6)
	})
}

// TestKeeperBackoffFromDialStart: the backoff counts from a failed dial's
// start, so a dial that takes its whole timeout to fail is followed at once
// by the next while the backoff is shorter than the timeout, and a backoff
// longer than it waits only what is left.
func TestKeeperBackoffFromDialStart(t *testing.T) {
	memtest.Run(t, func(t *testing.T) {
		n := memtest.Net(t)
		a, err := libp2p.New(append(n.Host(""), libp2p.DisableRelay())...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		const timeout = 5 * time.Second
		var mu sync.Mutex
		var starts []time.Time
		const seed = 3
		r := Redial{
			Min: time.Second, Max: 16 * time.Second, Seed: seed,
			Dial: func(ctx context.Context, _ peer.AddrInfo) error {
				mu.Lock()
				starts = append(starts, time.Now())
				mu.Unlock()
				time.Sleep(timeout) // no answer
				return errors.New("no answer")
			},
		}
		gone := peer.ID("an unreachable peer")
		k := r.Keeper(a)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			k.Run(ctx)
			close(done)
		}()
		k.Add(peer.AddrInfo{ID: gone})
		time.Sleep(80 * time.Second)
		cancel()
		<-done

		mu.Lock()
		defer mu.Unlock()
		checkBackoff(t, r, gone, starts, timeout, 8)
	})
}

// checkBackoff checks that at least n dials of p began, each the jittered
// backoff (r's, for p) after the one before, or took after it if longer:
// how long a failed dial lasted.
func checkBackoff(t *testing.T, r Redial, p peer.ID, starts []time.Time, took time.Duration, n int) {
	t.Helper()
	if len(starts) < n {
		t.Fatalf("the unreachable peer was tried %d times, want at least %d", len(starts), n)
	}
	rng := redialRand(r.Seed, p)
	backoff := r.Min
	for i := 1; i < len(starts); i++ {
		want := max(spread(backoff, rng.Float64()), took)
		if got := starts[i].Sub(starts[i-1]); got != want {
			t.Errorf("dial %d began %s after the one before, want %s", i, got, want)
		}
		backoff = min(backoff*2, r.Max)
	}
}
