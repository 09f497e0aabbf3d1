package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"starling/api"
)

// alertPoll is how often `alert --watch` and `alerts --follow` ask the node
// for the reach.
const alertPoll = time.Second

func newAlert(g *globals) *cobra.Command {
	var (
		asJSON bool
		watch  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "alert GROUP TEXT [--watch D] [--json]",
		Short: "Send an organiser alert that every device pins and acknowledges",
		Long: `Sends an alert to GROUP (the owner and admins of a created group only; an open
channel has none): every device pins it until dismissed and acknowledges it,
and it is re-offered to peers that lack it. Then, for --watch (default 30s; 0
to return at once), prints the reach each time it grows: "reached N of the M
devices seen in this group in the last hour". At most 3 alerts per 10 minutes
per person: every node drops more. ` + "`starling alerts GROUP`" + ` shows them later.
Needs the node.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return exactArgs(2, "a group and the alert's text")(cmd, args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := g.needDaemon(ctx, "alert")
			if err != nil {
				return err
			}
			a, err := c.SendAlert(ctx, args[0], strings.Join(args[1:], " "))
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return printJSON(cmd, a)
			}
			if a.Peers == 0 {
				fmt.Fprintf(out, "alert %s queued: no peer in %s yet; it goes out when one comes\n", a.ID[:8], forTerminal(a.Group, true))
			} else {
				fmt.Fprintf(out, "alert %s sent to %d peers in %s\n", a.ID[:8], a.Peers, forTerminal(a.Group, true))
			}
			return watchReach(ctx, c, out, args[0], a, watch)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the alert as JSON and return")
	cmd.Flags().DurationVar(&watch, "watch", 30*time.Second, "how long to print the reach as it grows (0: not at all)")
	return cmd
}

// watchReach prints a's reach each time it changes, for d or until every
// device seen acknowledged it.
func watchReach(ctx context.Context, c *api.Client, out io.Writer, ref string, a api.Alert, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	last := ""
	t := time.NewTicker(alertPoll)
	defer t.Stop()
	for {
		list, err := c.Alerts(ctx, ref)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for _, x := range list {
			if x.ID != a.ID {
				continue
			}
			if line := x.ReachLine(); line != last {
				fmt.Fprintln(out, line)
				last = line
			}
			if x.Devices > 0 && x.Reached >= x.Devices {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func newAlerts(g *globals) *cobra.Command {
	var asJSON, follow bool
	cmd := &cobra.Command{
		Use:   "alerts GROUP [--follow] [--json]",
		Short: "List a group's alerts and how many devices each reached",
		Long: `Lists the alerts this node holds in GROUP, newest first, each with its reach:
"reached N of the M devices seen in this group in the last hour" (N counts the
devices that displayed it and acknowledged it, as far as this node knows; an
organiser's node learns them from its relays and peers). Listing them
acknowledges them: this device displayed them. --follow prints the list again
whenever it changes, until Ctrl-C. Needs the node.`,
		Args: exactArgs(1, "a group"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := g.needDaemon(ctx, "alerts")
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			last := ""
			for {
				list, err := c.Alerts(ctx, args[0])
				if err != nil {
					if follow && ctx.Err() != nil {
						return nil
					}
					return err
				}
				for i, a := range list {
					if !a.YouAcked {
						if acked, err := c.AckAlert(ctx, args[0], a.ID); err == nil {
							list[i] = acked
						}
					}
				}
				if asJSON && !follow {
					return printJSON(cmd, list)
				}
				if text := alertsText(list); text != last {
					fmt.Fprint(out, text)
					last = text
				}
				if !follow {
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(alertPoll):
				}
			}
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the alerts as JSON")
	cmd.Flags().BoolVar(&follow, "follow", false, "print the list again as it changes")
	return cmd
}

// alertsText is the list `alerts` prints.
func alertsText(list []api.Alert) string {
	if len(list) == 0 {
		return "no alerts in this group\n"
	}
	var b strings.Builder
	for _, a := range list {
		who := a.Name
		if who == "" {
			who = a.Author[:8]
		}
		fmt.Fprintf(&b, "%s %s  %s (%s): %s\n", a.SentAt.Local().Format("15:04:05"), a.ID[:8],
			forTerminal(who, true), a.Author[:8], forTerminal(a.Text, false))
		fmt.Fprintf(&b, "    %s\n", a.ReachLine())
	}
	return b.String()
}
