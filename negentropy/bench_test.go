package negentropy

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchSets returns a server holding n items and a client lacking m of
// them: one contiguous run in the middle of the time order, or m scattered
// at random.
func benchSets(n, m int, contiguous bool) (client, server []Item) {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(m)))
	ts := uint64(1_700_000_000_000)
	server = make([]Item, n)
	for i := range server {
		ts += uint64(rng.IntN(2000)) // a message every second on average, some in the same millisecond
		server[i].Timestamp = ts
		for j := 0; j < IDSize; j += 8 {
			v := rng.Uint64()
			for k := range 8 {
				server[i].ID[j+k] = byte(v >> (8 * k))
			}
		}
	}
	missing := make(map[int]bool, m)
	if contiguous {
		for i := (n - m) / 2; len(missing) < m; i++ {
			missing[i] = true
		}
	} else {
		for len(missing) < m {
			missing[rng.IntN(n)] = true
		}
	}
	for i, it := range server {
		if !missing[i] {
			client = append(client, it)
		}
	}
	return client, server
}

// BenchmarkReconcile reconciles a client that lacks some of a server's
// items, with this package and with go-nostr on the same sets, and reports
// what went over the wire beside the naive cost of sending every ID:
//
//	go test -run '^$' -bench Reconcile -benchtime 5x ./negentropy/
func BenchmarkReconcile(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		for _, pct := range []int{1, 10} {
			for _, contiguous := range []bool{true, false} {
				layout := map[bool]string{true: "contiguous", false: "scattered"}[contiguous]
				m := n * pct / 100
				clientItems, serverItems := benchSets(n, m, contiguous)
				for _, limit := range []int{0, 60000} {
					name := fmt.Sprintf("n=%d/missing=%d%%/%s/frame=%d", n, pct, layout, limit)
					b.Run(name+"/impl=ours", func(b *testing.B) {
						cv, sv := sealedVector(b, clientItems), sealedVector(b, serverItems)
						benchSessions(b, n, m, func() (client, server) {
							return newOurClient(b, cv, limit), newOurServer(b, sv, limit)
						})
					})
					b.Run(name+"/impl=go-nostr", func(b *testing.B) {
						cv, sv := nostrVector(b, clientItems), nostrVector(b, serverItems)
						benchSessions(b, n, m, func() (client, server) {
							return newNostrClient(cv, limit), newNostrServer(sv, limit)
						})
					})
				}
			}
		}
	}
}

func benchSessions(b *testing.B, n, m int, start func() (client, server)) {
	var ses session
	for b.Loop() {
		c, s := start()
		var err error
		if ses, err = run(c, s); err != nil {
			b.Fatal(err)
		}
		if len(ses.need) != m || len(ses.have) != 0 {
			b.Fatalf("need %d, have %d; want need %d, have 0", len(ses.need), len(ses.have), m)
		}
	}
	total := float64(ses.up + ses.down)
	b.ReportMetric(total, "bytes/op")
	b.ReportMetric(float64(ses.up), "up-bytes/op")
	b.ReportMetric(float64(ses.down), "down-bytes/op")
	b.ReportMetric(float64(ses.rounds), "rounds")
	b.ReportMetric(total/float64(m), "bytes/missing")
	b.ReportMetric(float64(IDSize*n), "naive-bytes")
}
