package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"

	"github.com/libp2p/go-libp2p/gologshim"

	"starling/netlab"
	"starling/sim"
	"starling/sim/report"
	"starling/sim/shadow"
)

// shadowTwin is the scenario that `netlab shadow` exports by default.
const shadowTwin = "netlab-shadow"

// shadowCheck proves the Shadow export: it exports scenario (a file or a
// built-in) into out (a temporary directory when empty), then, rounds times
// in turn, runs the export's hosts as real starling processes in the lab
// (netlab.RunExport: the exported arguments, events read back into the
// simulator's report) and the scenario in the simulator on real time, and
// writes both sides' delivery and latencies and whether they agree (see
// agreeing). Like crosscheck it runs everything with GOMAXPROCS=1.
//
// With out set, the export, each round's event logs (out/netlab-roundN) and
// the lab's reports (out/report-roundN) stay.
func shadowCheck(ctx context.Context, cfg netlab.Config, scenario, out string, rounds int, stdout io.Writer) (bool, error) {
	runtime.GOMAXPROCS(1)
	if err := os.Setenv("GOMAXPROCS", "1"); err != nil { // the daemons inherit it
		return false, err
	}
	gologshim.SetDefaultHandler(slog.DiscardHandler)
	sc, err := readScenario(scenario)
	if err != nil {
		return false, err
	}
	b, err := sim.NewBlueprint(sc, 0)
	if err != nil {
		return false, err
	}
	keep := out != ""
	if !keep {
		tmp, err := os.MkdirTemp("", "netlab-shadow-")
		if err != nil {
			return false, err
		}
		defer os.RemoveAll(tmp)
		out = filepath.Join(tmp, "export")
	}
	m, err := shadow.Export(out, b, shadow.Config{})
	if err != nil {
		return false, err
	}
	fmt.Fprintf(stdout, "%s (seed %d) exported to Shadow in %s: %d hosts, %d messages\n", sc.Name, b.Seed, out, len(m.Hosts), len(b.Messages))
	fmt.Fprintf(stdout, "its hosts run as real starling processes in netlab, against the simulator (real time), %d round(s), GOMAXPROCS=1\n\n", rounds)
	fmt.Fprintf(stdout, "%-6s %-7s %-11s %10s %10s %10s %10s\n", "round", "side", "delivered", "first p50", "first p99", "all p50", "all p99")
	var lab, simulated []spread
	var notes []string
	for i := range rounds {
		rep, err := runExport(ctx, cfg, out, filepath.Join(out, fmt.Sprintf("netlab-round%d", i+1)))
		if err != nil {
			return false, fmt.Errorf("the export in the lab, round %d: %w", i+1, err)
		}
		if keep {
			if _, _, err := sim.WriteReports(filepath.Join(out, fmt.Sprintf("report-round%d", i+1)), rep); err != nil {
				return false, err
			}
		}
		run := rep.Runs[0]
		if notes == nil {
			notes = runNotes(run)
		}
		lab = append(lab, spread{run.Delivered, run.Expected, run.FirstLatency, run.AllLatency})
		writeSpread(stdout, fmt.Sprint(i+1), "export", lab[i])

		r, err := sim.Run(ctx, sc, sim.Options{Seed: b.Seed})
		if err != nil {
			return false, fmt.Errorf("simulator, round %d: %w", i+1, err)
		}
		twin := r.Runs[0]
		simulated = append(simulated, spread{twin.Delivered, twin.Expected, twin.FirstLatency, twin.AllLatency})
		writeSpread(stdout, fmt.Sprint(i+1), "sim", simulated[i])
	}
	agree := agreeing(stdout, "export", lab, simulated)
	fmt.Fprintln(stdout)
	for _, n := range notes {
		fmt.Fprintf(stdout, "note: %s\n", n)
	}
	return agree, nil
}

// runExport runs the hosts of the Shadow export in dir as real processes in
// the lab (netlab.RunExport), their event logs in data, and reads the logs
// into the simulator's report. data must be directly inside dir: each host
// finds its script at ../../../scripts, as under Shadow.
func runExport(ctx context.Context, cfg netlab.Config, dir, data string) (*report.Report, error) {
	if filepath.Dir(filepath.Clean(data)) != filepath.Clean(dir) {
		return nil, fmt.Errorf("the run's data directory %s must be directly inside the export %s: each host finds its script at ../../../scripts, as under Shadow", data, dir)
	}
	e, err := labExport(dir)
	if err != nil {
		return nil, err
	}
	run, err := netlab.RunExport(ctx, cfg, e, data)
	if err != nil {
		return nil, err
	}
	notes := append([]string{fmt.Sprintf("real starling processes in the network lab (%s); events read from %s", cfg.Starling, data)}, run.Notes...)
	rep, err := shadow.ReadRun(dir, shadow.Run{Data: data, Zero: run.Zero, Notes: notes})
	if err != nil {
		return nil, err
	}
	rep.Wall = run.Took
	return rep, nil
}

// labExport reads the export in dir (its shadow.yaml and network graph) as
// the lab runs it.
func labExport(dir string) (netlab.Export, error) {
	s, err := shadow.ReadSimulation(dir)
	if err != nil {
		return netlab.Export{}, err
	}
	var e netlab.Export
	for i, h := range s.Hosts {
		addr, err := netip.ParseAddr(h.Addr)
		if err != nil {
			return e, fmt.Errorf("host %s: address %q: %w", h.Name, h.Addr, err)
		}
		d := h.Shutdown - h.Start
		if i > 0 && d != e.Duration {
			return e, fmt.Errorf("host %s runs %s, host %s %s: the lab runs every host for the scenario's one duration", h.Name, d, s.Hosts[0].Name, e.Duration)
		}
		e.Duration = d
		e.Hosts = append(e.Hosts, netlab.ExportHost{Name: h.Name, Addr: addr, Node: h.Node, Args: h.Args})
	}
	for _, n := range s.Graph.Nodes {
		e.Nodes = append(e.Nodes, netlab.ExportNode{ID: n.ID, Up: n.Up, Down: n.Down})
	}
	for _, l := range s.Graph.Edges {
		e.Links = append(e.Links, netlab.ExportLink{A: l.Source, B: l.Target, Latency: l.Latency, Loss: l.Loss})
	}
	return e, nil
}

// readScenario reads a scenario file, or a built-in scenario when no file
// has that name.
func readScenario(name string) (*sim.Scenario, error) {
	sc, err := sim.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return sim.Builtin(name)
	}
	return sc, err
}

// runNotes are the notes on how a run elsewhere was made.
func runNotes(r report.Run) []string {
	var out []string
	for _, e := range r.Events {
		if e.Kind == sim.EventRun {
			out = append(out, e.Detail)
		}
	}
	return out
}
