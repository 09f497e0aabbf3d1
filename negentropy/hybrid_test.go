package negentropy

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"starling/riblt"
)

// The hybrid reconciliation that catch-up's protocol 2.0.0 runs (see
// package riblt): Rateless IBLT first, Negentropy when the coded symbols
// say the difference is too large. These measure it against go-nostr's
// Negentropy, the reference, on the sets of BenchmarkReconcile.

var hybridTable = flag.Bool("hybrid.table", false, "print TestHybridTable's comparison as a Markdown table")

// itemIDs lets riblt read the IDs of a slice of items.
type itemIDs []Item

func (s itemIDs) Size() int             { return len(s) }
func (s itemIDs) ID(i int) [IDSize]byte { return s[i].ID }

// hybridSession is what one hybrid reconciliation put on the wire, counted
// as BenchmarkReconcile counts Negentropy: message bytes each way, rounds
// as client messages.
type hybridSession struct {
	session
	symbols  int
	fallback bool
}

// runHybrid reconciles client and server items as catch-up 2.0.0 does: a
// riblt session with answers of at most limit bytes (0: none), then, if it
// falls back, a Negentropy session with the same frame size limit. The
// needed IDs come back resolved by the server, as catch-up's WantKeys does.
func runHybrid(tb testing.TB, seed uint64, client, server []Item, cv, sv *Vector, limit int) (hybridSession, error) {
	tb.Helper()
	var secret [riblt.SecretSize]byte
	rng := rand.New(rand.NewPCG(seed, 0))
	for i := range secret {
		secret[i] = byte(rng.Uint32())
	}
	cfg := riblt.Config{MaxMessageSize: limit}
	c, err := riblt.NewClient(secret, itemIDs(client), cfg)
	if err != nil {
		return hybridSession{}, err
	}
	s, err := riblt.NewServer(itemIDs(server), cfg)
	if err != nil {
		return hybridSession{}, err
	}
	var ses hybridSession
	msg := c.Request()
	for msg != nil {
		ses.rounds++
		ses.up += len(msg)
		answer, err := s.Answer(msg)
		if err != nil {
			return ses, fmt.Errorf("riblt round %d: server: %w", ses.rounds, err)
		}
		ses.down += len(answer)
		if msg, err = c.Receive(answer); err != nil {
			return ses, fmt.Errorf("riblt round %d: client: %w", ses.rounds, err)
		}
	}
	ses.symbols = c.Symbols()
	if c.Decoded() {
		for _, k := range c.Need() {
			pos, ok := s.Lookup(k)
			if !ok {
				return ses, fmt.Errorf("server does not know needed key %016x", k)
			}
			ses.need = append(ses.need, server[pos].ID)
		}
		for _, pos := range c.Have() {
			ses.have = append(ses.have, client[pos].ID)
		}
		return ses, nil
	}
	ses.fallback = true
	neg, err := run(newOurClient(tb, cv, limit), newOurServer(tb, sv, limit))
	if err != nil {
		return ses, fmt.Errorf("negentropy after riblt: %w", err)
	}
	ses.up += neg.up
	ses.down += neg.down
	ses.rounds += neg.rounds
	ses.need, ses.have = neg.need, neg.have
	return ses, nil
}

// hybridLayout is one pair of sets: the eight of BenchmarkReconcile, the
// identical ones, and scattered differences on both sides.
type hybridLayout struct {
	n, pct     int
	contiguous bool
	both       bool // each side lacks half of the pct, scattered
}

func (l hybridLayout) String() string {
	switch {
	case l.pct == 0:
		return fmt.Sprintf("n=%d/identical", l.n)
	case l.both:
		return fmt.Sprintf("n=%d/missing=%d%%/both-sides", l.n, l.pct)
	}
	return fmt.Sprintf("n=%d/missing=%d%%/%s", l.n, l.pct, map[bool]string{true: "contiguous", false: "scattered"}[l.contiguous])
}

func hybridLayouts() []hybridLayout {
	var out []hybridLayout
	for _, n := range []int{10000, 100000} {
		out = append(out, hybridLayout{n: n})
		for _, pct := range []int{1, 10} {
			for _, contiguous := range []bool{true, false} {
				out = append(out, hybridLayout{n: n, pct: pct, contiguous: contiguous})
			}
		}
		out = append(out, hybridLayout{n: n, pct: 1, both: true})
	}
	return out
}

// sets returns the layout's client and server items and how many of them
// only the server (need) and only the client (have) holds.
func (l hybridLayout) sets() (client, server []Item, need, have int) {
	m := l.n * l.pct / 100
	if !l.both {
		client, server = benchSets(l.n, m, l.contiguous)
		return client, server, m, 0
	}
	// The client lacks m/2 of the server's items; the server then loses
	// m/2 others, every 7th item the client holds from its middle on.
	client, server = benchSets(l.n, m/2, false)
	drop := make(map[[IDSize]byte]bool, m/2)
	for i := len(client) / 2; len(drop) < m/2; i += 7 {
		drop[client[i].ID] = true
	}
	server = slices.DeleteFunc(slices.Clone(server), func(it Item) bool { return drop[it.ID] })
	return client, server, m / 2, m / 2
}

// checkHybrid fails unless a session found exactly need and have items.
func checkHybrid(tb testing.TB, ses hybridSession, need, have int) {
	tb.Helper()
	ids := slices.Clone(ses.need)
	sortIDs(ids)
	if len(slices.Compact(ids)) != need || len(ses.have) != have {
		tb.Fatalf("need %d, have %d; want need %d, have %d", len(ses.need), len(ses.have), need, have)
	}
}

// BenchmarkHybrid runs the hybrid on BenchmarkReconcile's sets and on
// identical ones, and reports its bytes and rounds beside go-nostr's:
//
//	go test -run '^$' -bench Hybrid -benchtime 3x ./negentropy/
func BenchmarkHybrid(b *testing.B) {
	for _, l := range hybridLayouts() {
		clientItems, serverItems, need, have := l.sets()
		m := need + have
		for _, limit := range []int{0, 60000} {
			b.Run(fmt.Sprintf("%s/frame=%d", l, limit), func(b *testing.B) {
				cv, sv := sealedVector(b, clientItems), sealedVector(b, serverItems)
				ref, err := run(newNostrClient(nostrVector(b, clientItems), limit), newNostrServer(nostrVector(b, serverItems), limit))
				if err != nil {
					b.Fatal(err)
				}
				var ses hybridSession
				seed := uint64(0)
				for b.Loop() {
					seed++
					if ses, err = runHybrid(b, seed, clientItems, serverItems, cv, sv, limit); err != nil {
						b.Fatal(err)
					}
					checkHybrid(b, ses, need, have)
				}
				total := float64(ses.up + ses.down)
				b.ReportMetric(total, "bytes/op")
				b.ReportMetric(float64(ses.rounds), "rounds")
				b.ReportMetric(float64(ses.symbols), "symbols")
				b.ReportMetric(total/float64(ref.up+ref.down), "x-nostr")
				if m > 0 {
					b.ReportMetric(total/float64(m), "bytes/missing")
				}
			})
		}
	}
}

// TestHybridTable prints the comparison the closing note quotes: for each
// layout and frame size limit, go-nostr's Negentropy and the hybrid, in
// bytes (both directions) and rounds, the hybrid's median over seeds
// sessions (session secrets differ, so its symbols do).
//
//	go test -run TestHybridTable -hybrid.table -v ./negentropy/
func TestHybridTable(t *testing.T) {
	if !*hybridTable {
		t.Skip("run with -hybrid.table")
	}
	const seeds = 11
	fmt.Println("| layout | frame | go-nostr bytes | rounds | hybrid bytes (median of 11) | rounds (max) | symbols | fallback | ratio | hybrid bytes/difference |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, l := range hybridLayouts() {
		clientItems, serverItems, need, have := l.sets()
		m := need + have
		cv, sv := sealedVector(t, clientItems), sealedVector(t, serverItems)
		for _, limit := range []int{0, 60000} {
			ref, err := run(newNostrClient(nostrVector(t, clientItems), limit), newNostrServer(nostrVector(t, serverItems), limit))
			if err != nil {
				t.Fatal(err)
			}
			var (
				bytes               []int
				maxRounds, fellBack int
				symbols             []int
			)
			for seed := range uint64(seeds) {
				ses, err := runHybrid(t, seed, clientItems, serverItems, cv, sv, limit)
				if err != nil {
					t.Fatal(err)
				}
				checkHybrid(t, ses, need, have)
				bytes = append(bytes, ses.up+ses.down)
				symbols = append(symbols, ses.symbols)
				maxRounds = max(maxRounds, ses.rounds)
				if ses.fallback {
					fellBack++
				}
			}
			slices.Sort(bytes)
			slices.Sort(symbols)
			med := bytes[seeds/2]
			perMissing := "-"
			if m > 0 {
				perMissing = fmt.Sprintf("%.1f", float64(med)/float64(m))
			}
			fmt.Printf("| %s | %d | %d | %d | %d | %d | %d | %d/%d | %.3f | %s |\n", l, limit, ref.up+ref.down, ref.rounds,
				med, maxRounds, symbols[seeds/2], fellBack, seeds, float64(med)/float64(ref.up+ref.down), perMissing)
		}
	}
}
