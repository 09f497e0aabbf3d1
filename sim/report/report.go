package report

import (
	"time"
)

// Report is the outcome of one simulator scenario: one run of Starling and,
// with --compare-bare, one run of bare go-libp2p-pubsub under the same seed.
//
// In JSON, durations are milliseconds as floats (fields ending in _ms); see
// [WriteJSON] and [ReadJSON].
type Report struct {
	Scenario    string        `json:"scenario"`
	Seed        int64         `json:"seed"`
	Nodes       int           `json:"nodes"`
	SimDuration time.Duration `json:"-"`                // simulated time; JSON sim_duration_ms
	Wall        time.Duration `json:"-"`                // wall-clock run time; JSON wall_ms
	Runs        []Run         `json:"runs"`             // Runs[0] is Starling; Runs[1], when present, is bare go-libp2p-pubsub
	Ratios      *Ratios       `json:"ratios,omitempty"` // set with --compare-bare: Runs[0] over Runs[1] (see Compare)
}

// Run holds the measurements of one stack (Starling or bare pubsub).
type Run struct {
	Name string `json:"name"` // "starling" or "bare"
	// Expected is the sum over messages of the members that should get it.
	Sent      int `json:"sent"`
	Expected  int `json:"expected"`
	Delivered int `json:"delivered"`
	// DeliveryRatio is Delivered / Expected (0 when nothing was expected).
	DeliveryRatio float64 `json:"delivery_ratio"`
	// FirstLatency is the time from publish to the first member's delivery,
	// AllLatency to the delivery at every member, one sample per message.
	FirstLatency Latency `json:"first_latency"`
	AllLatency   Latency `json:"all_latency"`
	// WholeLatency is AllLatency of the messages sent while the network
	// was whole: no partition standing, none beginning within
	// 10 s after the send (sim.WholeMargin). Empty when the scenario has no
	// partition (AllLatency is that figure then).
	WholeLatency      Latency     `json:"whole_latency,omitzero"`
	LatencyCDF        []Point     `json:"latency_cdf"`         // X = latency ms, Y = share of deliveries 0..1
	DeliveredOverTime []Point     `json:"delivered_over_time"` // X = sim seconds, Y = cumulative deliveries
	Nodes             []NodeStats `json:"nodes"`
	// BytesPerNode summarises BytesIn+BytesOut over Nodes; DuplicatesPerNode
	// summarises Duplicates. Derive fills both.
	BytesPerNode      Summary       `json:"bytes_per_node"`
	DuplicatesPerNode Summary       `json:"duplicates_per_node"`
	Catchup           Catchup       `json:"catchup"`
	Convergence       []Convergence `json:"convergence"`
	QueueDrops        uint64        `json:"queue_drops"` // GossipSub queue drops
	CPUPerMessage     time.Duration `json:"-"`           // process CPU time / delivered messages; JSON cpu_per_message_ms
	CPU               time.Duration `json:"-"`           // process CPU time; JSON cpu_ms
	MemoryPerNode     int64         `json:"memory_per_node_bytes"`
	Events            []Event       `json:"events"` // timeline: partition, heal, churn, relay down, ...
}

// Latency summarises a latency distribution with nearest-rank percentiles;
// see [Latencies].
type Latency struct {
	P50, P95, P99, Max time.Duration
	Count              int
}

// Point is one chart sample.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Summary summarises a per-node quantity; see [Summarize].
type Summary struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	Max  float64 `json:"max"`
}

// NodeStats are one node's counters over the whole run.
type NodeStats struct {
	Name       string `json:"name"`
	Role       string `json:"role"`
	BytesIn    int64  `json:"bytes_in"`
	BytesOut   int64  `json:"bytes_out"`
	Duplicates int64  `json:"duplicates"`
	Delivered  int64  `json:"delivered"`
	// Expected is how many messages this node should have received; 0 when
	// unknown. When set, the worst-nodes table ranks by Delivered/Expected
	// instead of by Delivered.
	Expected     int64 `json:"expected,omitempty"`
	CatchupBytes int64 `json:"catchup_bytes"`
}

// Catchup is the Negentropy catch-up traffic of a run.
type Catchup struct {
	Sessions int   `json:"sessions"`
	Messages int   `json:"messages"`
	Bytes    int64 `json:"bytes"`
}

// Convergence is how long the network took to agree after an event (a heal).
type Convergence struct {
	Event     string        `json:"event"`
	At        time.Duration `json:"-"` // sim time of the event; JSON at_ms
	Took      time.Duration `json:"-"` // JSON took_ms
	Converged bool          `json:"converged"`
}

// Event is one mark on the scenario timeline. Kind names the category
// ("partition", "heal", "churn", "relay-down"); charts colour by Kind.
type Event struct {
	At     time.Duration `json:"-"` // sim time; JSON at_ms
	Kind   string        `json:"kind"`
	Detail string        `json:"detail"`
}

// Ratios compare Starling to bare pubsub: each field is Starling's value over
// bare's, and 0 when bare's value is 0 (no ratio exists).
type Ratios struct {
	LatencyP99    float64 `json:"latency_p99"`     // all-member p99 latency
	CPUPerMessage float64 `json:"cpu_per_message"` // CPU per delivered message
	DeliveryRatio float64 `json:"delivery_ratio"`
}

// Targets Starling is held to; see [Checks].
const (
	TargetDeliveryRatio      = 0.99 // share of expected deliveries, at least
	TargetLatencyP99Ratio    = 1.1  // all-member p99 over bare's, at most
	TargetCPUPerMessageRatio = 1.2  // CPU per delivered message over bare's, at most
)

// Derive fills the fields computed from the raw counters: DeliveryRatio from
// Delivered and Expected, CPUPerMessage from CPU and Delivered, and
// BytesPerNode and DuplicatesPerNode from Nodes. Divisions by zero give 0.
func (r *Run) Derive() {
	r.DeliveryRatio = ratio(float64(r.Delivered), float64(r.Expected))
	r.CPUPerMessage = 0
	if r.Delivered > 0 {
		r.CPUPerMessage = r.CPU / time.Duration(r.Delivered)
	}
	bytes := make([]float64, len(r.Nodes))
	dups := make([]float64, len(r.Nodes))
	for i, n := range r.Nodes {
		bytes[i] = float64(n.BytesIn + n.BytesOut)
		dups[i] = float64(n.Duplicates)
	}
	r.BytesPerNode = Summarize(bytes)
	r.DuplicatesPerNode = Summarize(dups)
}

// Compare returns Starling's figures over bare's, as set in Report.Ratios.
func Compare(starling, bare Run) *Ratios {
	return &Ratios{
		LatencyP99:    ratio(float64(starling.AllLatency.P99), float64(bare.AllLatency.P99)),
		CPUPerMessage: ratio(float64(starling.CPUPerMessage), float64(bare.CPUPerMessage)),
		DeliveryRatio: ratio(starling.DeliveryRatio, bare.DeliveryRatio),
	}
}

// ratios returns the comparison to show: the caller's Ratios when set, else
// one computed from the two runs, else nil.
func (r *Report) ratios() *Ratios {
	switch {
	case r.Ratios != nil:
		return r.Ratios
	case len(r.Runs) >= 2:
		return Compare(r.Runs[0], r.Runs[1])
	}
	return nil
}

// ratio is a/b, or 0 when it is not a finite number.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return finite(a / b)
}
