package sim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"time"

	"starling/sim/report"
)

// Options tune a run beyond its scenario.
type Options struct {
	// Seed, if not zero, replaces the scenario's seed.
	Seed int64
	// CompareBare also runs bare go-libp2p-pubsub on the same plan
	// (Report.Runs[1]) and fills Report.Ratios.
	CompareBare bool
	// Progress, if set, receives a progress line as each run goes on.
	Progress io.Writer
	// Logger receives the nodes' logs, tagged with their names. Nil
	// discards them.
	Logger *slog.Logger
	// CPUProfile, if set, is called as each run's timeline starts (with
	// the stack's name, "starling" or "bare") and what it returns as the
	// timeline ends, so a profile leaves out start-up and shutdown. See
	// ProfileCPU.
	CPUProfile func(stack string) (stop func() error, err error)
	// HeapProfile, if set, is called once each run's nodes have started,
	// when the heap per node is measured (with the stack's name), and
	// again at the run's end, before the nodes stop (with the name and
	// "-end"), to write what holds that memory. See ProfileHeap.
	HeapProfile func(stack string) error
	// MemoryPerNode, if positive, is a soft limit on the Go runtime's
	// memory for each run, in bytes per honest node
	// (debug.SetMemoryLimit of it times the nodes; the limit in force
	// before, such as GOMEMLIMIT's, comes back after the run). The
	// garbage collector then runs more often as the heap nears it, which
	// costs CPU time. Zero leaves the process's limit alone. It is the
	// simulator process's setting, not the nodes': the report's resources
	// event says which limit was in force.
	MemoryPerNode int64
}

// Run runs a scenario from Parse, ReadFile or Builtin and returns its report:
// one run of Starling and, with Options.CompareBare, one of bare pubsub and
// their ratios (see compare).
//
// Run keeps time with the time package and starts every goroutine it needs
// itself, so inside a testing/synctest bubble it runs on virtual time: a
// simulated minute takes only the CPU time it needs, CPU load does not
// distort latencies, and one scenario and seed give the same plan and the
// same deliveries, with latencies equal to within the order goroutines run
// in inside one instant (see TestDeterminism).
// Outside a bubble it runs in real time on the same in-memory network.
// It waits for the goroutines it starts itself and closes every node and
// host; libp2p's and pubsub's own goroutines end shortly after (in a
// bubble, synctest.Test waits for them too).
func Run(ctx context.Context, sc *Scenario, opts Options) (*report.Report, error) {
	if err := sc.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrScenario, err)
	}
	seed := sc.Seed
	if opts.Seed != 0 {
		seed = opts.Seed
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	p := newPlan(sc, seed)
	began := wallNow()
	rep := &report.Report{Scenario: sc.Name, Seed: seed, Nodes: len(p.nodes), SimDuration: sc.Duration.D()}
	stacks := []func(*world) fleet{func(w *world) fleet { return newStarling(p, w, opts.Logger) }}
	if opts.CompareBare {
		stacks = append(stacks, func(w *world) fleet { return newBare(p, w) })
	}
	var outs []*outcome
	for _, mk := range stacks {
		r, out, err := runStack(ctx, p, mk, opts)
		if err != nil {
			return nil, err
		}
		rep.Runs = append(rep.Runs, r)
		outs = append(outs, out)
	}
	if len(rep.Runs) > 1 {
		rep.Ratios = compare(outs[0], outs[1], rep.Runs[0], rep.Runs[1])
	}
	rep.Wall = wallNow() - began
	return rep, nil
}

// runStack runs one stack through the plan on a fresh network.
func runStack(ctx context.Context, p *plan, mk func(*world) fleet, opts Options) (_ report.Run, _ *outcome, err error) {
	if opts.MemoryPerNode > 0 {
		prev := debug.SetMemoryLimit(opts.MemoryPerNode * int64(p.honest))
		defer debug.SetMemoryLimit(prev)
	}
	w := newWorld(p)
	defer w.close()
	heap0, g0 := heapInUse(), runtime.NumGoroutine()
	var origin time.Time
	f := mk(w)
	defer func() {
		if cerr := f.close(); cerr != nil && err == nil {
			err = fmt.Errorf("stop the %s nodes: %w", f.name(), cerr)
		}
	}()
	if err := f.start(ctx); err != nil {
		return report.Run{}, nil, fmt.Errorf("%s run: %w", f.name(), err)
	}
	keys, err := allKeys(p)
	if err != nil {
		return report.Run{}, nil, err
	}
	atk, err := startAttackers(p, w, keys, f.spam())
	defer func() { err = errors.Join(err, atk.close()) }()
	if err != nil {
		return report.Run{}, nil, fmt.Errorf("%s run: %w", f.name(), err)
	}
	atk.judge = func(s attackSet) []event { return f.judge(s, time.Since(origin)) }
	mem := max(heapInUse()-heap0, 0) / int64(p.honest)
	goroutines := float64(runtime.NumGoroutine()-g0) / float64(p.honest)
	if opts.HeapProfile != nil {
		if err := opts.HeapProfile(f.name()); err != nil {
			return report.Run{}, nil, err
		}
	}

	// The previous run's garbage is collected, and its memory returned to
	// the OS, now rather than on this run's CPU.
	debug.FreeOSMemory()
	stopProfile := func() error { return nil }
	if opts.CPUProfile != nil {
		if stopProfile, err = opts.CPUProfile(f.name()); err != nil {
			return report.Run{}, nil, err
		}
	}
	cpu0, wall0 := cpuTime(), wallNow()
	origin = time.Now()
	tl := newTimeline(p, w, f, atk)
	err = tl.run(ctx, origin, opts.Progress)
	cpu := cpuTime() - cpu0
	if perr := stopProfile(); err == nil {
		err = perr
	}
	if opts.HeapProfile != nil && err == nil {
		err = opts.HeapProfile(f.name() + "-end")
	}
	if err != nil {
		return report.Run{}, nil, err
	}
	virtual, known := onVirtualTime()
	clock := clockNote(time.Since(origin), wallNow()-wall0, cpu, virtual, known)

	out := outcome{p: p, sentAt: tl.sentAt, sent: tl.sent, got: f.deliveries(origin)}
	for i := range p.honest {
		out.counters = append(out.counters, f.counters(i))
	}
	r := out.run(f.name())
	r.CPU, r.MemoryPerNode = cpu, mem
	end := p.sc.Duration.D()
	extra := append(atk.report(), f.health(end)...)
	extra = append(extra, event{At: end, Kind: EventClock, Detail: clock})
	rss := peakRSS()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms) // the nodes still run: their heap and stacks at the end
	extra = append(extra, event{At: end, Kind: EventResources, Detail: fmt.Sprintf(
		"heap per node after start-up %s, goroutines per node %.1f; at the end, per node, heap in use %s (live at the last collection %s) and goroutine stacks %s; "+
			"live heap and stacks at their peak %s per node (at %s); process peak RSS so far %s (%s per honest node); %s",
		mib(mem), goroutines, mib(int64(ms.HeapInuse)/int64(p.honest)), mib(liveHeap()/int64(p.honest)),
		mib(int64(ms.StackInuse)/int64(p.honest)), mib(tl.peak/int64(p.honest)), tl.peakAt.Round(time.Second),
		mib(rss), mib(rss/int64(p.honest)), gcSetting(p.honest))})
	r.Events = append(r.Events, toReport(extra)...)
	slices.SortStableFunc(r.Events, func(a, b report.Event) int { return cmp.Compare(a.At, b.At) })
	r.Derive()
	return r, &out, nil
}

// ProfileCPU is an Options.CPUProfile that writes each run's CPU profile
// to PREFIX-STACK.pprof, for finding where Starling's CPU per message goes
// against bare's. Inside a synctest bubble it must not be called from the
// bubble: the profiler's goroutine would keep virtual time from advancing.
func ProfileCPU(prefix string) func(stack string) (stop func() error, err error) {
	return func(stack string) (func() error, error) { return startProfile(prefix + "-" + stack + ".pprof") }
}

func startProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("CPU profile %s: %w", path, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("CPU profile: %w", err)
		}
		return nil
	}, nil
}

// clockNote tells a reader how to take the run's latencies: on virtual
// time they are the network's alone; on real time they include waiting for
// a CPU, which matters once the process is CPU-bound. Where the clock's
// kind is not known, simulated time running far ahead of or behind the
// wall clock says virtual (a virtual run that happens to keep pace with
// the wall clock, as a 500-node hall did, then reads as real).
func clockNote(sim, wall, cpu time.Duration, virtual, known bool) string {
	if !known {
		virtual = wall <= 0 || sim > wall*21/20 || sim < wall*19/20
	}
	if virtual {
		return fmt.Sprintf("virtual time (synctest, GOMAXPROCS %d): %s simulated in %s of wall time; latencies are the network's alone",
			runtime.GOMAXPROCS(0), sim.Round(time.Millisecond), wall.Round(time.Millisecond))
	}
	busy := float64(cpu) / float64(wall) / float64(runtime.GOMAXPROCS(0))
	note := fmt.Sprintf("real time: the process used %.0f%% of %d CPUs", 100*busy, runtime.GOMAXPROCS(0))
	if busy > 0.8 {
		note += "; it was CPU-bound, so latencies include waiting for a CPU (run on virtual time for the network's own)"
	}
	return note
}

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// liveHeap is the heap the last garbage collection found reachable.
func liveHeap() int64 { return int64(runtimeMetric("/gc/heap/live:bytes")) }

// stacksInUse is the memory goroutine stacks hold.
func stacksInUse() int64 { return int64(runtimeMetric("/memory/classes/heap/stacks:bytes")) }

// gcSetting says how the garbage collector is tuned: GOGC and the memory
// limit (per honest node of nodes), if any.
func gcSetting(nodes int) string {
	gc := "GOGC off"
	if pct := runtimeMetric("/gc/gogc:percent"); pct <= math.MaxInt32 {
		gc = fmt.Sprintf("GOGC %d", pct)
	}
	limit := runtimeMetric("/gc/gomemlimit:bytes")
	if limit >= math.MaxInt64 {
		return gc + ", no memory limit"
	}
	return fmt.Sprintf("%s, memory limit %s (%s per honest node)", gc, mib(int64(limit)), mib(int64(limit)/int64(nodes)))
}

// runtimeMetric reads one of runtime/metrics' uint64 metrics, 0 if there
// is no such.
func runtimeMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func mib(b int64) string { return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20)) }

func toReport(es []event) []report.Event {
	out := make([]report.Event, len(es))
	for i, e := range es {
		out[i] = report.Event{At: e.At, Kind: e.Kind, Detail: e.Detail}
	}
	return out
}

// ProfileHeap is an Options.HeapProfile that writes the heap in use once a
// run's nodes have started to PREFIX-STACK.heap.pprof, for finding what a
// simulated node holds (go tool pprof -sample_index=inuse_space), and its
// goroutines to PREFIX-STACK.goroutine.pprof (each holds a stack that the
// heap profile does not count).
func ProfileHeap(prefix string) func(stack string) error {
	return func(stack string) error {
		path := prefix + "-" + stack + ".heap.pprof"
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("heap profile: %w", err)
		}
		runtime.GC()
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			f.Close()
			return fmt.Errorf("heap profile %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
		// The goroutines too: each holds a stack, which the heap
		// profile does not show.
		path = prefix + "-" + stack + ".goroutine.pprof"
		if f, err = os.Create(path); err != nil {
			return fmt.Errorf("goroutine profile: %w", err)
		}
		if err := pprof.Lookup("goroutine").WriteTo(f, 0); err != nil {
			f.Close()
			return fmt.Errorf("goroutine profile %s: %w", path, err)
		}
		return f.Close()
	}
}
