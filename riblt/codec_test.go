package riblt

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDecodeRecoversDifference streams symbols of random sets in random
// batch sizes and checks that the decoder recovers exactly the keys on
// each side, whatever the sizes of the sets and of the difference.
func TestDecodeRecoversDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 300 {
		common := rng.IntN(3000)
		remoteOnly, localOnly := rng.IntN(60), rng.IntN(60)
		if trial%10 == 0 {
			remoteOnly, localOnly = rng.IntN(2000), rng.IntN(2000)
		}
		local, remote, wantRemote, wantLocal := diffSets(rng, common, remoteOnly, localOnly)
		dec, err := decodeAll(local, remote, 1+rng.IntN(64), 1<<20)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if !dec.Decoded() {
			t.Fatalf("trial %d: %d+%d differences not decoded after %d symbols", trial, remoteOnly, localOnly, dec.Received())
		}
		if got := sorted(dec.Remote()); !slices.Equal(got, sorted(wantRemote)) {
			t.Fatalf("trial %d: %d remote keys recovered, want %d", trial, len(got), len(wantRemote))
		}
		var gotLocal []uint64
		for _, pos := range dec.Local() {
			gotLocal = append(gotLocal, local[pos])
		}
		if !slices.Equal(sorted(gotLocal), sorted(wantLocal)) {
			t.Fatalf("trial %d: %d local keys recovered, want %d", trial, len(gotLocal), len(wantLocal))
		}
		// About 1.35 symbols per difference, more for small ones; a
		// decoder needing several times that would be broken.
		if d := remoteOnly + localOnly; dec.Received() > 3*d+40 {
			t.Fatalf("trial %d: %d symbols for a difference of %d", trial, dec.Received(), d)
		}
	}
}

// TestEncoderBatchesAgree: the stream does not depend on how it is cut into
// batches.
func TestEncoderBatchesAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	keys := make([]uint64, 500)
	for i := range keys {
		keys[i] = rng.Uint64()
	}
	whole := NewEncoder(keys).Next(2000)
	e := NewEncoder(keys)
	var pieces []Symbol
	for len(pieces) < 2000 {
		pieces = append(pieces, e.Next(min(1+rng.IntN(300), 2000-len(pieces)))...)
	}
	if !slices.Equal(whole, pieces) {
		t.Fatal("symbols differ between one batch and many")
	}
	if whole[0].Count != 500 {
		t.Fatalf("symbol 0 counts %d keys, want all 500", whole[0].Count)
	}
}

// TestMappingDensity checks the mapping against the paper's ρ(i) =
// 1/(1+i/2): over many keys, the share mapped to symbol i.
func TestMappingDensity(t *testing.T) {
	const keys, width = 200000, 64
	counts := make([]int, width)
	rng := rand.New(rand.NewPCG(15, 16))
	for range keys {
		m := newMapping(rng.Uint64())
		for m.index < width {
			counts[m.index]++
			m.advance()
		}
	}
	for i, c := range counts {
		want := float64(keys) / (1 + float64(i)/2)
		// Five standard deviations of a binomial count.
		if dev := float64(c) - want; dev*dev > 25*want {
			t.Errorf("symbol %d: %d keys, want %.0f", i, c, want)
		}
	}
}

// TestMappingAdvances: a walk's indices strictly increase and stop at
// never.
func TestMappingAdvances(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for range 1000 {
		m := newMapping(rng.Uint64())
		for prev := m.index; m.index != never; prev = m.index {
			m.advance()
			if m.index <= prev {
				t.Fatalf("walk went from %d to %d", prev, m.index)
			}
		}
	}
}

// craft returns a symbol holding exactly the given keys, each with the
// given direction.
func craft(keys []uint64, dir int64) Symbol {
	var s Symbol
	for _, k := range keys {
		s.add(k, checksum(k), dir)
	}
	return s
}

// TestDecoderRejectsInconsistent: symbols a malicious peer crafts to
// contradict this side's set fail with ErrInconsistent, and the decoder
// then refuses everything.
func TestDecoderRejectsInconsistent(t *testing.T) {
	local := []uint64{10, 20, 30}
	// A symbol 0 that claims the peer holds local key 20 beyond all of
	// ours: count 4, with 20 XORed out of the sum once more.
	claimOurs := craft([]uint64{10, 20, 30}, 1)
	claimOurs.add(20, checksum(20), 1)
	// A symbol 0 in which this side seems to hold key 99 alone, which it
	// does not.
	notOurs := craft([]uint64{10, 20, 30}, 1)
	notOurs.add(99, checksum(99), -1)
	for name, syms := range map[string][]Symbol{
		"peer claims a key held here":       {claimOurs},
		"key not held here claimed as ours": {notOurs},
	} {
		t.Run(name, func(t *testing.T) {
			dec := NewDecoder(local, 100)
			if err := dec.Add(syms); !errors.Is(err, ErrInconsistent) {
				t.Fatalf("error %v, want ErrInconsistent", err)
			}
			if err := dec.Add(nil); !errors.Is(err, ErrInconsistent) {
				t.Fatalf("after failure: %v, want the same error", err)
			}
			if dec.Decoded() {
				t.Fatal("a failed decoder says it decoded")
			}
		})
	}

	t.Run("key from a symbol it does not map to", func(t *testing.T) {
		// Find a key that does not map to symbol 1, and present it pure
		// there, with symbol 0 holding it too.
		key := uint64(1)
		for ; ; key++ {
			m := newMapping(key)
			m.advance()
			if m.index != 1 {
				break
			}
		}
		dec := NewDecoder(nil, 100)
		err := dec.Add([]Symbol{craft([]uint64{key, 7}, 1), craft([]uint64{key}, 1)})
		if !errors.Is(err, ErrInconsistent) {
			t.Fatalf("error %v, want ErrInconsistent", err)
		}
	})
}

// TestDecoderCapsSymbols: symbols beyond the cap are refused before any
// work.
func TestDecoderCapsSymbols(t *testing.T) {
	dec := NewDecoder(nil, 10)
	if err := dec.Add(make([]Symbol, 11)); !errors.Is(err, ErrTooManySymbols) {
		t.Fatalf("error %v, want ErrTooManySymbols", err)
	}
	if err := dec.Add(make([]Symbol, 10)); err != nil {
		t.Fatal(err)
	}
	if err := dec.Add(make([]Symbol, 1)); !errors.Is(err, ErrTooManySymbols) {
		t.Fatalf("error %v, want ErrTooManySymbols", err)
	}
}

// TestEstimate: after a failed batch, the estimate of a difference, on
// one side or both, is within a factor of two of the truth on average.
func TestEstimate(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for _, d := range []int{20, 100, 1000} {
		for _, f := range []float64{0.5, 1.2} {
			for _, remoteShare := range []float64{0.5, 1} {
				m := int(f * float64(d))
				var sum float64
				const trials = 10
				for range trials {
					remoteOnly := int(remoteShare * float64(d))
					local, remote, _, _ := diffSets(rng, 1000, remoteOnly, d-remoteOnly)
					dec := NewDecoder(local, 1<<20)
					if err := dec.Add(NewEncoder(remote).Next(m)); err != nil {
						t.Fatal(err)
					}
					est, _ := dec.Estimate()
					sum += float64(est)
				}
				if mean := sum / trials; mean < float64(d)/2 || mean > 2*float64(d) {
					t.Errorf("d=%d (%.0f%% the peer's) after %d symbols: mean estimate %.0f", d, 100*remoteShare, m, mean)
				}
			}
		}
	}
}

// TestDecoderWorkBudget: a decoder that would visit more keys than its
// budget allows stops with ErrInconsistent instead of working on. Honest
// streams stay far below stepBudget, so the test shrinks the budget to make
// one exceed it.
func TestDecoderWorkBudget(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	local, remote, _, _ := diffSets(rng, 100, 50, 0)
	dec := NewDecoder(local, 1000)
	dec.perSymbol = 1
	err := dec.Add(NewEncoder(remote).Next(200))
	if !errors.Is(err, ErrInconsistent) {
		t.Fatalf("error %v, want ErrInconsistent", err)
	}
	honest := NewDecoder(local, 1000)
	if err := honest.Add(NewEncoder(remote).Next(200)); err != nil || !honest.Decoded() {
		t.Fatalf("with the real budget: %v, decoded %v", err, honest.Decoded())
	}
	if honest.steps > 26*honest.Received() {
		t.Fatalf("%d key visits for %d symbols", honest.steps, honest.Received())
	}
}
