// Command starling-sim is Starling's simulator: it runs a scenario with real
// Starling node code for every simulated attendee on an in-memory network
// and reports delivery, latency and traffic (package sim), and it exports a
// scenario to Shadow, which runs real starling processes over a simulated
// network (package shadow).
//
// It is a command of its own so that the messenger, cmd/starling, links
// neither the simulator nor its report's plotting (gonum/plot, fpdf): see
// deps/deps_test.go.
//
//	starling-sim SCENARIO [--seed N] [--out DIR] [--json] [--compare-bare] [--scale F]
//	starling-sim scenarios [NAME]
//	starling-sim shadow SCENARIO --out DIR [--seed N] [--scale F] [--starling PATH]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/libp2p/go-libp2p/gologshim"
	"github.com/spf13/cobra"
)

// usageError marks errors in how the command was called (exit status 2).
type usageError struct{ error }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit status: 0 on
// success, 1 on a failure, 2 for a wrongly used command. A failure is one
// line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stderr)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "starling-sim:", oneLine(err))
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// options are the flags every subcommand takes.
type options struct {
	logLevel string
	logger   *slog.Logger // nil unless --log-level was given
}

func newRoot(stderr io.Writer) *cobra.Command {
	o := &options{}
	root := newRun(o)
	root.SilenceUsage, root.SilenceErrors = true, true
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if !cmd.Flags().Changed("log-level") {
			// Hundreds of nodes starting and stopping make libp2p warn
			// about every connection cut short; the report says what
			// matters.
			gologshim.SetDefaultHandler(slog.DiscardHandler)
			return nil
		}
		var level slog.Level
		if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
			return usageError{fmt.Errorf("--log-level %q: use debug, info, warn or error", o.logLevel)}
		}
		o.logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
		gologshim.SetDefaultHandler(o.logger.Handler())
		return nil
	}
	root.PersistentFlags().StringVar(&o.logLevel, "log-level", "", "write the nodes' logs at this level (debug, info, warn, error) to stderr")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see `%s --help`)", err, cmd.CommandPath())}
	})
	root.AddCommand(newScenarios(), newShadow())
	return root
}

// exactArgs is cobra.ExactArgs with a usage error that names the arguments.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s takes %s (see `%s --help`)", cmd.Name(), names, cmd.CommandPath())}
		}
		return nil
	}
}

// oneLine keeps an error to one line, as every failure is reported.
func oneLine(err error) string {
	s := err.Error()
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}
