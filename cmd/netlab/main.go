// Command netlab runs Starling's network scenarios: real starling daemons in
// network namespaces on this machine, joined by bridges, NATs and nftables
// rules (see package netlab). It needs root, iproute2 and nftables;
// scripts/netlab installs the tools and builds the binary first.
//
//	netlab SCENARIO|all|list [--keep-logs DIR] [-v] [--starling PATH]
//	netlab crosscheck [--rounds N] [-v] [--starling PATH]
//	netlab shadow [--scenario NAME|FILE] [--out DIR] [--rounds N] [-v] [--starling PATH]
//
// It exits 0 when every scenario run passed, 1 when one failed (with the
// reason), 2 when it was called wrongly. crosscheck runs the lan scenario
// and its simulator twin and exits 0 when they agree (see crosscheck).
// shadow exports a scenario to Shadow and runs the export's hosts as real
// processes in the lab beside the scenario in the simulator (see
// shadowCheck); it exits 0 when both ran, whether or not they agree.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"starling/netlab"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the parsed command line.
type options struct {
	scenarios []netlab.Scenario
	list      bool
	keepLogs  string
	verbose   bool
	starling  string
	// crosscheck runs the lan scenario against its simulator twin, rounds
	// times.
	crosscheck bool
	rounds     int
	// shadow runs a scenario's Shadow export in the lab against the
	// simulator, rounds times; scenario names it, out keeps the export.
	shadow        bool
	scenario, out string
}

const usage = `usage: netlab SCENARIO|all|list [--keep-logs DIR] [-v] [--starling PATH]
       netlab crosscheck [--rounds N] [-v] [--starling PATH]
       netlab shadow [--scenario NAME|FILE] [--out DIR] [--rounds N] [-v] [--starling PATH]

Runs a network scenario with real starling daemons in network namespaces
(needs root). crosscheck runs lan and its simulator twin in turn, N times
(default 3), and says whether their delivery and latencies agree (within
20 %). shadow exports a simulator scenario (default netlab-shadow) to Shadow,
runs the export's hosts as real starling processes in the lab with their
exported arguments, reads their events into the simulator's report, and
runs the scenario in the simulator beside it, N times; --out keeps the
export, the event logs and the reports. Scenarios:
`

func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "netlab: %v\n\n", err)
		printUsage(stderr)
		return 2
	case opts.list:
		printScenarios(stdout)
		return 0
	}
	if err := netlab.Check(); err != nil {
		fmt.Fprintf(stderr, "netlab: %v\n", err)
		return 1
	}

	// A signal cancels the scenario; the lab then stops its daemons and
	// deletes its namespaces before netlab exits. Further signals are
	// caught too, so that the clean-up finishes.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()

	level := slog.LevelWarn
	if opts.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if opts.starling == "" {
		dir, err := os.MkdirTemp("", "netlab-bin-")
		if err != nil {
			fmt.Fprintf(stderr, "netlab: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		fmt.Fprintln(stderr, "netlab: building starling (pass --starling PATH to use a built one)")
		if opts.starling, err = netlab.BuildStarling(ctx, dir); err != nil {
			fmt.Fprintf(stderr, "netlab: %v\n", err)
			return 1
		}
	}

	if opts.shadow {
		cfg := netlab.Config{Starling: opts.starling, Logger: logger}
		if _, err := shadowCheck(ctx, cfg, opts.scenario, opts.out, opts.rounds, stdout); err != nil {
			fmt.Fprintf(stderr, "netlab: shadow: %v\n", err)
			return 1
		}
		return 0
	}
	if opts.crosscheck {
		cfg := netlab.Config{Starling: opts.starling, Logger: logger}
		agree, err := crosscheck(ctx, cfg, opts.rounds, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "netlab: crosscheck: %v\n", err)
			return 1
		}
		if !agree {
			return 1
		}
		return 0
	}

	failed := 0
	for _, s := range opts.scenarios {
		cfg := netlab.Config{Starling: opts.starling, Logger: logger}
		if opts.keepLogs != "" {
			cfg.LogDir = filepath.Join(opts.keepLogs, s.Name)
		}
		start := time.Now()
		err := s.Run(ctx, cfg)
		took := time.Since(start).Round(100 * time.Millisecond)
		if err == nil {
			fmt.Fprintf(stdout, "ok    %-14s %6s  %s\n", s.Name, took, s.Summary)
			continue
		}
		failed++
		fmt.Fprintf(stdout, "FAIL  %-14s %6s  %v\n", s.Name, took, err)
		if cfg.LogDir != "" {
			fmt.Fprintf(stdout, "      the daemons' logs are in %s\n", cfg.LogDir)
		} else {
			fmt.Fprintln(stdout, "      run again with --keep-logs DIR to keep the daemons' logs")
		}
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "netlab: interrupted; the lab was cleaned up")
			return 1
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// parseArgs accepts flags before and after the scenario name. Every error
// it returns is a usage error.
func parseArgs(args []string) (options, error) {
	var opts options
	fs := flag.NewFlagSet("netlab", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&opts.keepLogs, "keep-logs", "", "keep the daemons' logs in `DIR`/SCENARIO")
	fs.BoolVar(&opts.verbose, "v", false, "log every step of the lab on stderr")
	fs.StringVar(&opts.starling, "starling", "", "the starling binary to run (default: build ./cmd/starling)")
	fs.IntVar(&opts.rounds, "rounds", 3, "crosscheck, shadow: run each side `N` times")
	fs.StringVar(&opts.scenario, "scenario", shadowTwin, "shadow: the simulator scenario to export, a file or a built-in")
	fs.StringVar(&opts.out, "out", "", "shadow: keep the export, the event logs and the reports in `DIR` (new or empty)")
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return opts, err
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(names) != 1 {
		return opts, fmt.Errorf("give exactly one scenario, all or list (got %q)", names)
	}
	switch name := names[0]; name {
	case "list":
		opts.list = true
	case "all":
		opts.scenarios = netlab.Scenarios()
	case "crosscheck", "shadow":
		opts.crosscheck, opts.shadow = name == "crosscheck", name == "shadow"
		if opts.rounds < 1 || opts.rounds > 50 {
			return opts, fmt.Errorf("--rounds %d: use 1 to 50", opts.rounds)
		}
	default:
		s, ok := netlab.Lookup(name)
		if !ok {
			return opts, fmt.Errorf("no scenario %q; `netlab list` shows them", name)
		}
		opts.scenarios = []netlab.Scenario{s}
	}
	return opts, nil
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	printScenarios(w)
	fmt.Fprint(w, `
Flags:
  --keep-logs DIR   keep each daemon's log in DIR/SCENARIO (default: removed)
  -v                log every step (namespaces, rules, daemons, phases) on stderr
  --starling PATH   run this starling binary (default: build ./cmd/starling)
  --rounds N        crosscheck, shadow: run each side N times (default 3)
  --scenario NAME   shadow: the scenario to export, a file or a built-in (default netlab-shadow)
  --out DIR         shadow: keep the export, event logs and reports in DIR
`)
}

func printScenarios(w io.Writer) {
	for _, s := range netlab.Scenarios() {
		fmt.Fprintf(w, "  %-14s %s\n", s.Name, s.Summary)
	}
}
