package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"starling/api"
)

func newSync(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sync [GROUP] [--json]",
		Short: "Catch up now with the peers of a group (or of every group)",
		Long: `Reconciles the group's history with each of its peers now (up to eight per
group) instead of waiting for the next automatic catch-up, fetching what this
node lacks and sending what they lack. Needs the node.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("sync takes at most one group (see `%s --help`)", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), "sync")
			if err != nil {
				return err
			}
			ref := ""
			if len(args) == 1 {
				ref = args[0]
			}
			results, err := c.Sync(cmd.Context(), ref)
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(cmd, results); err != nil {
					return err
				}
				return syncFailures(results)
			}
			out := cmd.OutOrStdout()
			if len(results) == 0 {
				fmt.Fprintln(out, "no peers to catch up with")
			}
			for _, r := range results {
				fmt.Fprintf(out, "%-16s %s  %s\n", r.Group, shortPeer(r.Peer), syncSummary(r))
			}
			return syncFailures(results)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// errSyncFailed: a catch-up session that sync ran failed.
var errSyncFailed = errors.New("catch-up failed")

// syncFailures makes sync exit 1 when any session failed (each one's
// reason is on its line above), so that a script sees it.
func syncFailures(results []api.Sync) error {
	failed := 0
	for _, r := range results {
		if r.Error != "" {
			failed++
		}
	}
	if failed == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d of %s; see why above, and run sync again once the peer is reachable", errSyncFailed, failed, count(len(results), "session"))
}

// syncSummary says what one catch-up session moved, or why it failed.
func syncSummary(r api.Sync) string {
	if r.Error != "" {
		return "failed: " + r.Error
	}
	s := fmt.Sprintf("fetched %d, sent %d (%d rounds, %s, %s)", r.Fetched, r.Pushed, r.Rounds,
		byteSize(r.BytesSent+r.BytesReceived), time.Duration(r.TookMS*float64(time.Millisecond)).Round(time.Millisecond))
	if !r.Complete {
		s += "; more to do, run sync again"
	}
	return s
}

func shortPeer(p string) string {
	if len(p) > 8 {
		return "…" + p[len(p)-8:]
	}
	return p
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}
