package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/spf13/cobra"

	"starling/sim"
	"starling/sim/shadow"
)

// newShadow is `starling-sim shadow`: export a scenario to Shadow, and read
// a run's events back into a report.
func newShadow() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "shadow",
		Short: "Export a scenario to Shadow, which runs real starling processes, and report on its run",
		Long: `Shadow (https://shadow.github.io) runs real binaries over a simulated network
in simulated time; it is how simulations go past what one process holds.
` + "`starling-sim shadow export`" + ` writes a scenario as a Shadow simulation of real
starling processes (TCP, keys derived from host names, in-memory stores,
scripted load, events as JSON lines); after ` + "`cd DIR && shadow shadow.yaml`" + `,
` + "`starling-sim shadow report DIR`" + ` reads the hosts' events into the simulator's
report. Attackers, churn, partitions and relay outages do not export; the
export says why.`,
		Args: exactArgs(0, "a subcommand: export or report"),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newShadowExport(), newShadowReport())
	return cmd
}

func newShadowExport() *cobra.Command {
	var (
		out, starling, hostLog string
		seed                   int64
		scale                  float64
	)
	cmd := &cobra.Command{
		Use:   "export SCENARIO --out DIR",
		Short: "Write a scenario as a Shadow simulation",
		Long: `Write SCENARIO (a YAML file or a built-in scenario) as a Shadow simulation in
DIR, which must be new or empty: shadow.yaml (one host per relay and attendee,
each running starling with the flags its place in the scenario's plan gives
it), network.gml (the network graph: a node per set of hosts that reach the
same others, with the scenario's bandwidth, latency and loss on the edges),
scripts/ (each sender's load), scenario.yaml and export.json (what
` + "`starling-sim shadow report`" + ` needs). The plan is the simulator's own for the
seed: the same hosts dial the same peers and send the same messages at the
same times as in ` + "`starling-sim SCENARIO`" + `.

--starling is the binary the hosts run (default: starling on Shadow's PATH).`,
		Args: exactArgs(1, "a scenario file or a built-in scenario's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{errors.New("--out DIR is required: the directory to write the simulation into")}
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
			b, err := sim.NewBlueprint(sc, seed)
			if err != nil {
				return usageError{err}
			}
			m, err := shadow.Export(out, b, shadow.Config{Starling: starling, LogLevel: hostLog})
			if errors.Is(err, shadow.ErrUnsupported) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "exported %s (seed %d): %d hosts, %d messages, into %s\n", sc.Name, b.Seed, len(m.Hosts), len(b.Messages), out)
			for _, n := range m.Notes {
				fmt.Fprintf(w, "note: %s\n", n)
			}
			fmt.Fprintf(w, "run: cd %s && shadow shadow.yaml\nthen: starling-sim shadow report %s\n", out, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "directory to write the simulation into (new or empty)")
	f.Int64Var(&seed, "seed", 0, "random seed (default the scenario's)")
	f.Float64Var(&scale, "scale", 1, "multiply the attendees by this factor")
	f.StringVar(&starling, "starling", "starling", "the starling binary the hosts run: a path, or a name on Shadow's PATH")
	f.StringVar(&hostLog, "host-log-level", "warn", "each host's --log-level")
	return cmd
}

func newShadowReport() *cobra.Command {
	var (
		data, out string
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "report DIR",
		Short: "Read a Shadow run's events into the simulator's report",
		Long: `Read the event logs that the hosts of the Shadow simulation exported to DIR
wrote (DIR/shadow.data/hosts/NAME/events.jsonl, or --data DATA/hosts/...),
and write the simulator's report of that run to --out (default DIR/report):
report.json, report.html and, on stdout, the summary table (the JSON with
--json). Delivery, latencies, catch-up and convergence follow the simulator's
rules; CPU and memory are Shadow's to tell.`,
		Args: exactArgs(1, "the directory of the export"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if data == "" {
				data = filepath.Join(dir, shadow.DataDir)
			}
			if out == "" {
				out = filepath.Join(dir, "report")
			}
			r, err := shadow.ReadRun(dir, shadow.Run{Data: data, Notes: []string{"real starling processes under Shadow; events read from " + data}})
			if errors.Is(err, fs.ErrNotExist) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			return writeReport(cmd, out, r, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "Shadow's data directory (default DIR/shadow.data)")
	f.StringVar(&out, "out", "", "directory for report.json and report.html (default DIR/report)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON instead of the summary table")
	return cmd
}
