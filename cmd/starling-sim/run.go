package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"starling/sim"
	"starling/sim/report"
)

// newRun is the root command: run a scenario and report.
func newRun(o *options) *cobra.Command {
	var (
		seed        int64
		out         string
		asJSON      bool
		compareBare bool
		scale       float64
		memLimit    float64
	)
	cmd := &cobra.Command{
		Use:   "starling-sim SCENARIO",
		Short: "Simulate an event: many Starling nodes on an in-memory network",
		Long: `Run a scenario with real Starling nodes (gossip, an in-memory store, catch-up,
groups, relays) for every simulated attendee, on an in-memory network with the
scenario's topology, latency, bandwidth, loss, churn, partitions and attackers,
and report delivery, latency, traffic, catch-up, convergence and CPU.

SCENARIO is a YAML file or the name of a built-in scenario: ` + strings.Join(sim.Builtins(), ", ") + `.
` + "`starling-sim scenarios`" + ` describes them, and ` + "`starling-sim scenarios NAME`" + ` prints
one's YAML, comments and all, to start a scenario of your own from.

The report goes to DIR/report.json and DIR/report.html (--out, default
./sim-NAME), and a summary table to stdout (the JSON instead with --json).
--compare-bare runs the same scenario and seed with bare go-libp2p-pubsub too
and reports Starling's figures over bare's. --scale multiplies the attendees
and attackers: --scale 5 turns the 200-person hall into 1,000.

The command runs in real time: a five-minute scenario takes five minutes,
twice with --compare-bare, and on a busy machine CPU contention adds to the
latencies. Virtual time (repeatable per seed, unaffected by CPU load, and
often faster than real time) needs Go's testing/synctest, so only the
simulator's own test runs that way, from a checkout of Starling's source:
  go test ./sim -run TestScenario -timeout 0 -sim.scenario FILE -sim.out DIR [-sim.bare]
Add -cpu 1 there when comparing CPU figures: on several CPUs they vary by
20 % from run to run. Even on one, a shared machine's CPU time can vary by
15 % between runs, so compare the median of a few.

` + "`starling-sim shadow`" + ` writes a scenario as a simulation for Shadow instead, which
runs real starling processes over a simulated network (see its --help).`,
		Args: exactArgs(1, "a scenario file or a built-in scenario's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if memLimit < 0 {
				return usageError{fmt.Errorf("--memory-limit %g: a limit is not negative", memLimit)}
			}
			sc, err := loadScenario(args[0])
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("scale") {
				if sc, err = sc.Scaled(scale); err != nil {
					return usageError{fmt.Errorf("--scale: %w", err)}
				}
			}
			if out == "" {
				out = "sim-" + sc.Name
			}
			opts := sim.Options{Seed: seed, CompareBare: compareBare, Progress: cmd.ErrOrStderr(), Logger: o.logger,
				MemoryPerNode: int64(memLimit * (1 << 20))}
			if opts.Logger == nil {
				opts.Logger = slog.New(slog.DiscardHandler)
			}
			runs := 1
			if compareBare {
				runs = 2
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "simulating %s: %d nodes, %s of real time per run, %d run(s)\n",
				sc.Name, sc.Nodes.Attendees+sc.Nodes.Relays, sc.Duration.D(), runs)
			r, err := sim.Run(cmd.Context(), sc, opts)
			if err != nil {
				if cmd.Context().Err() != nil {
					return errors.New("simulation interrupted; no report written")
				}
				return err
			}
			return writeReport(cmd, out, r, asJSON)
		},
	}
	f := cmd.Flags()
	f.Int64Var(&seed, "seed", 0, "random seed (default the scenario's)")
	f.StringVar(&out, "out", "", "directory for report.json and report.html (default ./sim-NAME)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON instead of the summary table")
	f.BoolVar(&compareBare, "compare-bare", false, "also run bare go-libp2p-pubsub and report the ratios")
	f.Float64Var(&scale, "scale", 1, "multiply the attendees and attackers by this factor")
	f.Float64Var(&memLimit, "memory-limit", 0, "hold the Go runtime to a soft memory limit of this many MiB per node while each run lasts (0: GOMEMLIMIT's, if any); the garbage collector then costs more CPU")
	return cmd
}

// writeReport writes r to dir as report.json and report.html, says where
// on stderr, and prints the summary table (or, asJSON, the JSON) on stdout.
func writeReport(cmd *cobra.Command, dir string, r *report.Report, asJSON bool) error {
	jsonPath, htmlPath, err := sim.WriteReports(dir, r)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "report: %s and %s\n", jsonPath, htmlPath)
	if asJSON {
		return report.WriteJSON(cmd.OutOrStdout(), r)
	}
	return report.WriteSummary(cmd.OutOrStdout(), r)
}

// loadScenario reads a scenario file, or a built-in scenario when no file
// has that name. Either way a bad scenario is a usage error.
func loadScenario(arg string) (*sim.Scenario, error) {
	sc, err := sim.ReadFile(arg)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(arg, `/\.`):
		sc, err = sim.Builtin(arg)
	case errors.Is(err, fs.ErrNotExist):
		return nil, usageError{fmt.Errorf("no scenario file %s; name a YAML file or one of the built-in scenarios: %s",
			arg, strings.Join(sim.Builtins(), ", "))}
	}
	if err != nil {
		return nil, usageError{err}
	}
	return sc, nil
}
