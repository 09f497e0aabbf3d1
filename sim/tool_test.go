package sim

import (
	"flag"
	"log/slog"
	"os"
	"testing"

	"starling/sim/report"
)

// The simulator as a tool, on virtual time (`starling-sim` runs on real
// time):
//
//	go test ./sim -run TestScenario -sim.scenario FILE_OR_NAME [-sim.out DIR] [-sim.seed N] [-sim.bare] [-sim.scale F] [-sim.log warn] [-sim.cpuprofile PREFIX] [-sim.heapprofile PREFIX] -timeout 0
//
// For CPU figures to compare (-sim.bare), add -cpu 1: with more than one P,
// Go's scheduler spends CPU spinning for work, which differs from run to
// run by 20 % and more. Even on one P, the CPU time of the same run varied
// by up to 15 % from run to run on this shared 2-vCPU VM (the conference
// hall's bare run took 24 s to 39 s over one day), so compare the median
// of a few runs.
var (
	scenarioFlag = flag.String("sim.scenario", "", "run this scenario file or built-in scenario on virtual time (TestScenario)")
	outFlag      = flag.String("sim.out", "", "write report.json and report.html here (TestScenario)")
	seedFlag     = flag.Int64("sim.seed", 0, "seed instead of the scenario's (TestScenario)")
	bareFlag     = flag.Bool("sim.bare", false, "also run bare go-libp2p-pubsub (TestScenario)")
	scaleFlag    = flag.Float64("sim.scale", 1, "multiply attendees and attackers (TestScenario)")
	logFlag      = flag.String("sim.log", "", "write the nodes' logs at this level (debug, info, warn, error) to stderr (TestScenario)")
	profileFlag  = flag.String("sim.cpuprofile", "", "CPU-profile each run's timeline to PREFIX-starling.pprof and PREFIX-bare.pprof (TestScenario)")
	memFlag      = flag.Float64("sim.memlimit", 0, "hold the Go runtime to a soft memory limit of this many MiB per honest node while each run lasts (Options.MemoryPerNode; TestScenario)")
	heapFlag     = flag.String("sim.heapprofile", "", "write the heap each run holds once its nodes have started to PREFIX-starling.heap.pprof and PREFIX-bare.heap.pprof, and its goroutines to PREFIX-STACK.goroutine.pprof; at the run's end, to PREFIX-STACK-end.* (TestScenario)")
)

// TestScenario runs -sim.scenario inside a synctest bubble and writes its
// report; without the flag it is skipped.
func TestScenario(t *testing.T) {
	if *scenarioFlag == "" {
		t.Skip("run a scenario with -sim.scenario FILE_OR_NAME")
	}
	read := Builtin
	if _, err := os.Stat(*scenarioFlag); err == nil {
		read = ReadFile
	}
	sc, err := read(*scenarioFlag)
	if err != nil {
		t.Fatal(err)
	}
	if *scaleFlag != 1 {
		if sc, err = sc.Scaled(*scaleFlag); err != nil {
			t.Fatal(err)
		}
	}
	opts := Options{Seed: *seedFlag, CompareBare: *bareFlag, Progress: os.Stderr, MemoryPerNode: int64(*memFlag * (1 << 20))}
	if *profileFlag != "" {
		opts.CPUProfile = outsideBubble(t, ProfileCPU(*profileFlag))
	}
	if *heapFlag != "" {
		opts.HeapProfile = ProfileHeap(*heapFlag)
	}
	if *logFlag != "" {
		var level slog.Level
		if err := level.UnmarshalText([]byte(*logFlag)); err != nil {
			t.Fatalf("-sim.log: %v", err)
		}
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	r := runVirtual(t, sc, opts)
	if *outFlag != "" {
		j, h, err := WriteReports(*outFlag, r)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("report: %s and %s", j, h)
	}
	if err := report.WriteSummary(os.Stdout, r); err != nil {
		t.Fatal(err)
	}
	logEvents(t, r)
}

var thousandFlag = flag.Bool("sim.thousand", false, "run TestThousand: 1,000 attendees in one process")

// TestThousand runs 1,000 attendees and two relays on one LAN in this
// process and logs what that costs: wall time, heap per node and peak RSS.
//
//	go test ./sim -run TestThousand -sim.thousand -v -timeout 0
func TestThousand(t *testing.T) {
	if !*thousandFlag {
		t.Skip("takes minutes; run with -sim.thousand")
	}
	r := runIn(t, "testdata/thousand.yaml", Options{Progress: os.Stderr})
	run := r.Runs[0]
	t.Logf("%d nodes, %s simulated in %s wall; heap per node after start-up %s, peak RSS %s, CPU %s",
		r.Nodes, r.SimDuration, r.Wall, mib(run.MemoryPerNode), mib(peakRSS()), run.CPU)
	if run.DeliveryRatio < report.TargetDeliveryRatio {
		t.Errorf("delivery ratio %.4f", run.DeliveryRatio)
	}
	if err := report.WriteSummary(os.Stdout, r); err != nil {
		t.Fatal(err)
	}
	logEvents(t, r)
}

// logEvents logs every run's timeline: the health events among them say
// what the summary table does not (connections, meshes, queue drops).
func logEvents(t *testing.T, r *report.Report) {
	for _, run := range r.Runs {
		for _, e := range run.Events {
			t.Logf("%s %8s %-10s %s", run.Name, e.At, e.Kind, e.Detail)
		}
	}
}

// outsideBubble runs a CPU profiler's start and stop on a goroutine outside
// the synctest bubble, which a running profiler would otherwise keep from
// ever going idle.
func outsideBubble(t *testing.T, start func(string) (func() error, error)) func(string) (func() error, error) {
	// Both channels are made here, outside the bubble: a bubbled
	// goroutine may use them, an outside one may not use the bubble's.
	calls, done := make(chan func() error), make(chan error)
	go func() {
		for fn := range calls {
			done <- fn()
		}
	}()
	t.Cleanup(func() { close(calls) })
	run := func(fn func() error) error {
		calls <- fn
		return <-done
	}
	return func(stack string) (func() error, error) {
		var stop func() error
		err := run(func() (err error) { stop, err = start(stack); return err })
		if err != nil {
			return nil, err
		}
		return func() error { return run(stop) }, nil
	}
}
