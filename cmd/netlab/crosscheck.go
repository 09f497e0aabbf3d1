package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/gologshim"

	"starling/netlab"
	"starling/sim"
	"starling/sim/report"
)

// crossTolerance is how far the simulator's latencies may be from netlab's,
// as a share of netlab's, for the two to agree.
const crossTolerance = 0.2

// twin is the simulator's scenario that mirrors netlab's lan.
const twin = "netlab-lan"

// spread is one run's figures, from either side.
type spread struct {
	delivered, expected int
	first, all          report.Latency
}

// crosscheck runs netlab's lan scenario and its simulator twin, each rounds
// times in turn, and writes both sides' figures and how far apart their
// medians are. It reports whether they agree: the same delivery, and every
// latency figure within crossTolerance.
//
// Everything runs with GOMAXPROCS=1: netlab puts five daemons on this
// machine's two CPUs, and five Go runtimes spinning for work against each
// other add about a fifth to netlab's latencies, an artefact of the lab
// that neither a venue (a laptop per node) nor the simulator has.
func crosscheck(ctx context.Context, cfg netlab.Config, rounds int, stdout io.Writer) (bool, error) {
	runtime.GOMAXPROCS(1)
	if err := os.Setenv("GOMAXPROCS", "1"); err != nil { // the daemons inherit it
		return false, err
	}
	// Starting and stopping the simulated nodes makes libp2p warn about
	// connections cut short; the figures say what matters.
	gologshim.SetDefaultHandler(slog.DiscardHandler)
	sc, err := sim.Builtin(twin)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(stdout, "netlab lan against the simulator's %s (sim/scenarios/%s.yaml, real time), %d rounds, GOMAXPROCS=1\n\n", twin, twin, rounds)
	fmt.Fprintf(stdout, "%-6s %-7s %-11s %10s %10s %10s %10s\n", "round", "side", "delivered", "first p50", "first p99", "all p50", "all p99")
	var lab, simulated []spread
	for i := range rounds {
		s, err := netlab.LANSpread(ctx, cfg)
		if err != nil {
			return false, fmt.Errorf("netlab lan, round %d: %w", i+1, err)
		}
		lab = append(lab, spread{s.Delivered, s.Expected, s.First, s.All})
		writeSpread(stdout, fmt.Sprint(i+1), "netlab", lab[i])

		r, err := sim.Run(ctx, sc, sim.Options{})
		if err != nil {
			return false, fmt.Errorf("simulator, round %d: %w", i+1, err)
		}
		run := r.Runs[0]
		simulated = append(simulated, spread{run.Delivered, run.Expected, run.FirstLatency, run.AllLatency})
		writeSpread(stdout, fmt.Sprint(i+1), "sim", simulated[i])
	}
	return agreeing(stdout, "netlab", lab, simulated), nil
}

// agreeing writes the medians of both sides' rounds and whether they
// agree: the same delivery in every round, and every latency figure within
// crossTolerance of the lab's.
func agreeing(stdout io.Writer, labName string, lab, simulated []spread) bool {
	ml, ms := median(lab), median(simulated)
	fmt.Fprintln(stdout)
	writeSpread(stdout, "median", labName, ml)
	writeSpread(stdout, "median", "sim", ms)

	agree := true
	check := func(what string, ok bool, detail string) {
		mark := "agree"
		if !ok {
			mark, agree = "DIFFER", false
		}
		fmt.Fprintf(stdout, "%-6s  %-10s %s\n", mark, what, detail)
	}
	fmt.Fprintln(stdout)
	deliveredSame := true
	for i := range lab {
		deliveredSame = deliveredSame && lab[i].delivered == simulated[i].delivered && lab[i].expected == simulated[i].expected
	}
	check("delivery", deliveredSame, fmt.Sprintf("%s %d of %d, sim %d of %d in the median round",
		labName, ml.delivered, ml.expected, ms.delivered, ms.expected))
	for _, f := range []struct {
		name     string
		lab, sim time.Duration
	}{
		{"first p50", ml.first.P50, ms.first.P50},
		{"first p99", ml.first.P99, ms.first.P99},
		{"all p50", ml.all.P50, ms.all.P50},
		{"all p99", ml.all.P99, ms.all.P99},
	} {
		off := float64(f.sim-f.lab) / float64(f.lab)
		check(f.name, f.lab > 0 && off >= -crossTolerance && off <= crossTolerance,
			fmt.Sprintf("sim %s, %s %s: %+.0f%% (within ±%.0f%% to agree)", ms3(f.sim), labName, ms3(f.lab), 100*off, 100*crossTolerance))
	}
	return agree
}

func writeSpread(w io.Writer, round, side string, s spread) {
	fmt.Fprintf(w, "%-6s %-7s %-11s %10s %10s %10s %10s\n", round, side, fmt.Sprintf("%d/%d", s.delivered, s.expected),
		ms3(s.first.P50), ms3(s.first.P99), ms3(s.all.P50), ms3(s.all.P99))
}

// median takes each figure's median over the rounds on its own; an odd
// number of rounds gives a figure that some round measured.
func median(ss []spread) spread {
	pick := func(get func(spread) time.Duration) time.Duration {
		v := make([]time.Duration, len(ss))
		for i, s := range ss {
			v[i] = get(s)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	counts := slices.Clone(ss)
	slices.SortFunc(counts, func(a, b spread) int { return a.delivered - b.delivered })
	m := counts[len(counts)/2]
	m.first.P50 = pick(func(s spread) time.Duration { return s.first.P50 })
	m.first.P99 = pick(func(s spread) time.Duration { return s.first.P99 })
	m.all.P50 = pick(func(s spread) time.Duration { return s.all.P50 })
	m.all.P99 = pick(func(s spread) time.Duration { return s.all.P99 })
	return m
}

func ms3(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
