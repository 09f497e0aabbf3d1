package report

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// sampleReport is a plausible two-run report: 200 nodes, a partition healed
// after 20 s, some churn, Starling close to bare. It is deterministic.
func sampleReport() *Report {
	rng := rand.New(rand.NewPCG(1, 2))
	events := []Event{
		{At: 20 * time.Second, Kind: "partition", Detail: "split 60/140 along region"},
		{At: 24 * time.Second, Kind: "heal", Detail: "partition removed"},
		{At: 35 * time.Second, Kind: "churn", Detail: "12 nodes leave"},
		{At: 42 * time.Second, Kind: "churn", Detail: "12 nodes rejoin"},
	}
	starling := sampleRun(rng, "starling", 1.0, events)
	starling.Convergence = []Convergence{{Event: "heal", At: 24 * time.Second, Took: 3200 * time.Millisecond, Converged: true}}
	starling.Catchup = Catchup{Sessions: 140, Messages: 8120, Bytes: 5_600_000}
	bare := sampleRun(rng, "bare", 0.95, events)
	bare.Convergence = []Convergence{{Event: "heal", At: 24 * time.Second, Converged: false}}
	r := &Report{
		Scenario:    "partition-heal",
		Seed:        42,
		Nodes:       200,
		SimDuration: 60 * time.Second,
		Wall:        14*time.Second + 250*time.Millisecond,
		Runs:        []Run{starling, bare},
	}
	r.Ratios = Compare(starling, bare)
	return r
}

func sampleRun(rng *rand.Rand, name string, speed float64, events []Event) Run {
	const nodes, sent = 200, 300
	var first, all, each, at []time.Duration
	expected, delivered := 0, 0
	perNode := make([]int64, nodes)
	for m := range sent {
		publish := time.Duration(m) * 200 * time.Millisecond
		cut := publish >= 20*time.Second && publish < 24*time.Second
		var slowest, fastest time.Duration
		for n := range nodes {
			expected++
			d := time.Duration((20 + rng.ExpFloat64()*60*speed) * float64(time.Millisecond))
			churned := publish >= 35*time.Second && publish < 42*time.Second && n >= 100 && n < 112
			if cut && n < 60 || churned {
				healed := 24 * time.Second
				if churned {
					healed = 42 * time.Second
				}
				d += healed - publish + time.Duration(rng.IntN(3000))*time.Millisecond
				if name == "bare" {
					continue // bare has no catch-up: lost across the partition
				}
			}
			if name == "starling" && cut && n >= 150 && n < 153 && m%7 == 0 {
				continue // a few messages lost even with catch-up
			}
			delivered++
			perNode[n]++
			each = append(each, d)
			at = append(at, publish+d)
			slowest = max(slowest, d)
			if fastest == 0 || d < fastest {
				fastest = d
			}
		}
		first, all = append(first, fastest), append(all, slowest)
	}
	r := Run{
		Name: name, Sent: sent, Expected: expected, Delivered: delivered,
		FirstLatency: Latencies(first), AllLatency: Latencies(all),
		LatencyCDF: LatencyCDF(each), DeliveredOverTime: Cumulative(at, 60*time.Second),
		QueueDrops:    uint64(rng.IntN(30)),
		CPU:           time.Duration(float64(9*time.Second) * speed),
		MemoryPerNode: 38<<20 + rng.Int64N(4<<20),
		Events:        events,
	}
	for n := range nodes {
		role := "peer"
		if n%50 == 0 {
			role = "relay"
		}
		in := 300_000 + rng.Int64N(200_000)
		if role == "relay" {
			in *= 4
		}
		r.Nodes = append(r.Nodes, NodeStats{
			Name: fmt.Sprintf("node-%03d", n), Role: role,
			BytesIn: in, BytesOut: in * 9 / 10,
			Duplicates: rng.Int64N(400), Delivered: perNode[n], Expected: sent,
			CatchupBytes: rng.Int64N(60_000),
		})
	}
	r.Derive()
	return r
}
