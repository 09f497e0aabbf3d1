package negentropy

import (
	"fmt"
	"testing"

	"github.com/nbd-wtf/go-nostr/nip77/negentropy/storage/vector"
)

// differences between the two sides, as shares of all items.
var crossDiffs = []struct {
	name                   string
	clientOnly, serverOnly float64
}{
	{"same", 0, 0},
	{"1pct-both-sides", 0.005, 0.005},
	{"1pct-client-lacks", 0, 0.01},
	{"50pct-both-sides", 0.25, 0.25},
	{"100pct-disjoint", 0.5, 0.5},
	{"100pct-client-empty", 0, 1},
	{"100pct-server-empty", 1, 0},
}

// timestamp layouts: spread as a function of the item count.
var crossTimestamps = []struct {
	name   string
	spread func(n int) int
}{
	{"ts-random", func(n int) int { return n }},            // like the reference's fuzz.pl
	{"ts-clustered", func(n int) int { return n/100 + 1 }}, // about 100 items per millisecond
	{"ts-same", func(int) int { return 1 }},
}

// frame size limits of client and server; the reference's interop tests use
// 60000 against 500000.
var crossLimits = [][2]int{{0, 0}, {4096, 4096}, {60000, 60000}, {60000, 500000}, {4096, 0}}

// TestCrossImplementation reconciles random sets with every pairing of our
// implementation and go-nostr's, checks that have and need are exactly the
// set differences, and that every pairing put the same bytes on the wire.
func TestCrossImplementation(t *testing.T) {
	sizes := []int{0, 1, 31, 32, 33, 1000, 10000, 100000}
	if testing.Short() || raceEnabled {
		sizes = sizes[:len(sizes)-1] // 100k: see raceEnabled
	}
	for _, n := range sizes {
		for _, df := range crossDiffs {
			for _, ts := range crossTimestamps {
				if n == 100000 && ts.name != "ts-random" && (df.name != "50pct-both-sides" || ts.name == "ts-same") {
					continue // smaller sizes cover equal timestamps well enough
				}
				spec := genSpec{n: n, clientOnly: df.clientOnly, serverOnly: df.serverOnly, spread: ts.spread(n), seed: uint64(len(df.name))}
				// go-nostr spends O(n) on every fingerprint: at 100k items
				// under the race detector it joins only a few of these runs.
				withNostr := n <= 10000 || (ts.name == "ts-random" && (df.name == "1pct-both-sides" || df.name == "50pct-both-sides"))
				t.Run(fmt.Sprintf("n=%d/%s/%s", n, df.name, ts.name), func(t *testing.T) {
					t.Parallel()
					crossCheck(t, spec, withNostr)
				})
			}
		}
	}
}

func crossCheck(t *testing.T, spec genSpec, withNostr bool) {
	d := spec.generate()
	ourC, ourS := sealedVector(t, d.client), sealedVector(t, d.server)
	var nostrC, nostrS *vector.Vector
	for _, lim := range crossLimits {
		cl, sl := lim[0], lim[1]
		ref, err := run(newOurClient(t, ourC, cl), newOurServer(t, ourS, sl))
		if err != nil {
			t.Fatalf("limits %v: ours/ours: %v", lim, err)
		}
		checkDiff(t, fmt.Sprintf("limits %v: ours/ours have", lim), ref.have, d.clientOnly)
		checkDiff(t, fmt.Sprintf("limits %v: ours/ours need", lim), ref.need, d.serverOnly)
		checkFrames(t, ref, cl, sl)

		// Nor for the many rounds that small frames need over 100k items.
		if !withNostr || (spec.n > 10000 && (cl == 4096 || sl == 4096 || lim == [2]int{60000, 60000})) {
			continue
		}
		if nostrC == nil {
			nostrC, nostrS = nostrVector(t, d.client), nostrVector(t, d.server)
		}
		pairings := []struct {
			name string
			c    client
			s    server
		}{
			{"ours/go-nostr", newOurClient(t, ourC, cl), newNostrServer(nostrS, sl)},
			{"go-nostr/ours", newNostrClient(nostrC, cl), newOurServer(t, ourS, sl)},
			{"go-nostr/go-nostr", newNostrClient(nostrC, cl), newNostrServer(nostrS, sl)},
		}
		for _, p := range pairings {
			what := fmt.Sprintf("limits %v: %s (client/server)", lim, p.name)
			ses, err := run(p.c, p.s)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			checkDiff(t, what+" have", ses.have, d.clientOnly)
			checkDiff(t, what+" need", ses.need, d.serverOnly)
			compareTranscripts(t, what+" against ours/ours", ref.transcript, ses.transcript)
		}
	}
}
