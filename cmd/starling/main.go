// Command starling is the Starling daemon and its command-line client.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// usageError marks errors in how the command was called (exit status 2).
type usageError struct{ error }

func main() {
	// quic-go warns on every start when it cannot raise UDP buffers; that is
	// not actionable for someone at an event.
	if os.Getenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING") == "" {
		os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starling:", oneLine(err)+advice(err))
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "starling",
		Short: "Offline-first mesh messenger for events",
		Long: `Starling is group messaging with no server: nodes find each other on the local
network or through relays, gossip signed messages per group, keep their own copy
and catch up after being offline.

Start with:
  starling init --name NAME    make your key
  starling up                  run your node (keep it running)
  starling join lobby          join the open channel "lobby"
  starling chat lobby          talk`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return g.setup(cmd)
		},
		// Without Args and RunE, cobra reports an unknown command as a
		// plain error (exit 1) whose hint falls on lines oneLine drops.
		Args:                       unknownCommand,
		RunE:                       func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		SuggestionsMinimumDistance: 2,
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see `%s --help`)", err, cmd.CommandPath())}
	})
	g.register(root)
	root.AddCommand(
		newInit(g), newUp(g), newRelay(g), newJoin(g), newLeave(g), newGroups(g),
		newSend(g), newReact(g), newAlert(g), newAlerts(g), newLog(g), newChat(g),
		newSync(g), newPeers(g), newID(g), newStatus(g), newDemo(g),
		newGroup(g), newInvite(g), newWhois(g), newOpen(g),
		newBlock(g, "block", "block", "Block an author: this node drops their messages (only you are affected)"),
		newBlock(g, "mute", "mute", "Mute an author: their messages are kept but not shown to you"),
		newBlock(g, "unblock", "", "Lift a block or mute"),
		newSimMoved(), newStore(g), newImage(g),
	)
	root.AddCommand(newDoctor(g))
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

// unknownCommand rejects arguments to the bare root command: they are a
// mistyped subcommand.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	hint := "see `starling --help` for the commands"
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		hint = fmt.Sprintf("did you mean `starling %s`?", s[0])
	}
	return usageError{fmt.Errorf("unknown command %q; %s", args[0], hint)}
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
