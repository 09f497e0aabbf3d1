package report_test

import (
	"os"
	"time"

	"starling/sim/report"
)

func ExampleWriteSummary() {
	ms := time.Millisecond
	starling := report.Run{
		Name: "starling", Sent: 100, Expected: 1900, Delivered: 1900,
		FirstLatency: report.Latencies([]time.Duration{20 * ms, 25 * ms, 31 * ms}),
		AllLatency:   report.Latencies([]time.Duration{180 * ms, 210 * ms, 260 * ms}),
		CPU:          190 * ms,
		Convergence:  []report.Convergence{{Event: "heal", At: 30 * time.Second, Took: 2 * time.Second, Converged: true}},
	}
	bare := starling
	bare.Name, bare.Delivered, bare.CPU = "bare", 1805, 171*ms
	bare.AllLatency = report.Latencies([]time.Duration{170 * ms, 200 * ms, 250 * ms})
	bare.Convergence = nil
	starling.Derive()
	bare.Derive()

	r := &report.Report{Scenario: "quick", Seed: 1, Nodes: 20, SimDuration: time.Minute, Wall: 3 * time.Second,
		Runs: []report.Run{starling, bare}, Ratios: report.Compare(starling, bare)}
	report.WriteSummary(os.Stdout, r)
	// Output:
	// Scenario "quick" · seed 1 · 20 nodes · 1m simulated in 3 s
	//
	//                                   starling        bare            ratio   target
	// Delivery
	//   messages sent                   100             100             1.00×
	//   deliveries / expected           1,900 / 1,900   1,805 / 1,900   1.05×
	//   delivery ratio                  100%            95%             1.05×   ≥ 99%          ✓
	// Latency, first member
	//   p50                             25 ms           25 ms           1.00×
	//   p95                             31 ms           31 ms           1.00×
	//   p99                             31 ms           31 ms           1.00×
	// Latency, every member
	//   p50                             210 ms          200 ms          1.05×
	//   p95                             260 ms          250 ms          1.04×
	//   p99                             260 ms          250 ms          1.04×   ≤ 1.10× bare   ✓
	//   max                             260 ms          250 ms          1.04×
	// Per node
	//   bytes in + out, mean            0 B             0 B             —
	//   bytes in + out, p95             0 B             0 B             —
	//   bytes in + out, max             0 B             0 B             —
	//   duplicates, mean                0               0               —
	//   duplicates, p95                 0               0               —
	//   memory                          0 B             0 B             —
	// Catch-up
	//   sessions                        0               0               —
	//   messages                        0               0               —
	//   bytes                           0 B             0 B             —
	// Recovery
	//   convergence after heal, worst   2 s             —               —       all converge   ✓
	//   GossipSub queue drops           0               0               —
	// CPU
	//   process CPU time                190 ms          171 ms          1.11×
	//   per delivered message           100 µs          94.7 µs         1.06×   ≤ 1.20× bare   ✓
	//
	// ✓ All 4 applicable targets met.
}
