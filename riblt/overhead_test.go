package riblt

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

var overheadTrials = flag.Int("riblt.trials", 0, "run TestOverhead with this many trials per difference size")

// TestOverhead prints the quantiles of the symbols needed to decode
// differences of several sizes, one symbol at a time, beside symbolsFor,
// which is fitted to them:
//
//	go test -run TestOverhead -riblt.trials 300 -v ./riblt/
func TestOverhead(t *testing.T) {
	if *overheadTrials == 0 {
		t.Skip("run with -riblt.trials N")
	}
	for _, d := range []int{1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 30, 50, 75, 100, 200, 300, 500, 1000, 2000, 5000, 10000} {
		needed := make([]int, *overheadTrials)
		for trial := range needed {
			rng := rand.New(rand.NewPCG(uint64(d), uint64(trial)))
			local, remote, _, _ := diffSets(rng, 200, d, 0)
			dec, err := decodeAll(local, remote, 1, 100*d+100)
			if err != nil || !dec.Decoded() {
				t.Fatalf("d=%d trial %d: not decoded (%v)", d, trial, err)
			}
			needed[trial] = dec.Received()
		}
		slices.Sort(needed)
		q := func(p float64) int { return needed[min(len(needed)-1, int(p*float64(len(needed))))] }
		sum := 0
		for _, n := range needed {
			sum += n
		}
		fmt.Printf("d=%5d mean %8.1f (%.3f/d) p50 %6d p90 %6d p95 %6d p99 %6d max %6d  plan %6d\n", d, float64(sum)/float64(len(needed)),
			float64(sum)/float64(len(needed))/float64(d), q(.5), q(.9), q(.95), q(.99), needed[len(needed)-1], symbolsFor(d))
	}
}
