package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"starling/api"
	"starling/apiserver"
	"starling/group"
)

func newJoin(g *globals) *cobra.Command {
	var channel bool
	cmd := &cobra.Command{
		Use:   "join NAME | join LINK | join GROUP-ID",
		Short: "Join an open channel by name (node running or not), a group by its invite link, or a group you left again",
		Long: "Join an open channel by name (node running or not), a group by its invite link, or a group you left " +
			"again by its ID (or its name), with the history your device kept. A name that names a group you left " +
			"means that group; --channel joins the open channel of that name instead.",
		Args: exactArgs(1, "one channel name, invite link or group ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := args[0]
			isLink := strings.HasPrefix(strings.TrimSpace(ref), "starling:")
			if channel && isLink {
				return usageError{errors.New("--channel takes an open channel's name, not a link")}
			}
			c, ok, err := g.daemon(cmd.Context())
			if err != nil {
				return err
			}
			if ok {
				join := c.Join
				if channel {
					join = c.JoinChannel
				}
				grp, err := join(cmd.Context(), ref)
				if err != nil {
					return err
				}
				if learning(grp) {
					fmt.Fprintf(cmd.OutOrStdout(), "joined group %s; no member has answered yet: its name and messages come when one is reachable (see `starling groups`)\n", grp.ID)
					return nil
				}
				if !isLink && grp.Kind != kindChannel {
					printRejoined(cmd, ref, grp)
					return nil
				}
				fmt.Fprintf(cmd.OutOrStdout(), "joined %s (%s), %s in it now\n", grp.Name, grp.ID, count(grp.Peers, "peer"))
				return nil
			}
			if isLink {
				return fmt.Errorf("joining by invite link needs the node running (it publishes your profile and checks the link); start it with `starling up`")
			}
			l, err := g.local(false)
			if err != nil {
				return err
			}
			defer l.Close()
			join := l.Join
			if channel {
				join = l.JoinChannel
			}
			grp, err := join(ref)
			if err != nil {
				return err
			}
			if grp.Kind != kindChannel {
				n, _ := l.Count(grp)
				printRejoined(cmd, ref, apiserver.NewGroup(grp, n, 0))
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "joined %s (%s); your node takes part when you run `starling up`\n", grp.Name, grp.ID)
			return nil
		},
	}
	cmd.Flags().BoolVar(&channel, "channel", false, "join the open channel called NAME, even if NAME is a group you left")
	return cmd
}

// kindChannel is the kind of an open channel joined by its name.
const kindChannel = "channel"

// printRejoined says that join found a group the person left under ref (a
// name or ID; only such a group, not a channel, comes back from joining a
// name) and joined it again, and how to join an open channel of that name.
func printRejoined(cmd *cobra.Command, ref string, grp api.Group) {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "joined %s (%s group %s) again: the group you left, with the %s this device kept\n",
		forTerminal(grp.Name, true), grp.Kind, grp.ID, count(grp.Messages, "message"))
	if _, norm, err := group.OpenChannelID(ref); err == nil && !strings.EqualFold(strings.TrimSpace(ref), grp.ID) {
		fmt.Fprintf(w, "the open channel called %s is another group; `starling join --channel %s` joins that one\n", norm, norm)
	}
}

// learning reports whether a group joined by link still waits for its
// genesis, and so its name, from its members: the node names it
// "joining-" and the start of its ID until then.
func learning(grp api.Group) bool {
	return len(grp.ID) >= 8 && grp.Name == "joining-"+grp.ID[:8]
}

func newLeave(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "leave GROUP",
		Short: "Leave a group; its messages stay on this device (`log` reads them, `join` rejoins)",
		Args:  exactArgs(1, "one group name or ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), "leave")
			if err != nil {
				return err
			}
			grp, err := c.Leave(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			again := grp.Rejoin
			if again == "" { // a daemon from before left groups were kept
				again = grp.ID
			}
			w, name := cmd.OutOrStdout(), forTerminal(grp.Name, true)
			switch grp.Messages {
			case 0:
				fmt.Fprintf(w, "left %s; `starling join %s` joins %s again\n", name, again, itOrGroup(grp))
			case 1:
				fmt.Fprintf(w, "left %s; its 1 message stays on this device: `starling log %s` reads it, `starling join %s` joins %s again\n",
					name, again, again, itOrGroup(grp))
			default:
				fmt.Fprintf(w, "left %s; its %d messages stay on this device: `starling log %s` reads them, `starling join %s` joins %s again\n",
					name, grp.Messages, again, again, itOrGroup(grp))
			}
			return nil
		},
	}
}

// itOrGroup names what `join REJOIN` joins: a created group is joined again
// by its ID, which the person may not recognise as it.
func itOrGroup(grp api.Group) string {
	if grp.Kind == kindChannel {
		return "the channel"
	}
	return "this " + grp.Kind + " group"
}

func newGroups(g *globals) *cobra.Command {
	var asJSON, left bool
	cmd := &cobra.Command{
		Use:   "groups [--left] [--json]",
		Short: "List joined groups, or with --left the groups you left whose history this device keeps",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			groups, err := g.groupList(cmd, left)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, groups)
			}
			if left {
				rows := make([][]string, len(groups))
				for i, grp := range groups {
					at := ""
					if grp.LeftAt != nil {
						at = "left " + grp.LeftAt.Local().Format("2006-01-02 15:04")
					}
					rows[i] = []string{forTerminal(grp.Name, true), grp.Kind, count(grp.Messages, "message"), at, grp.Rejoin}
				}
				return printTable(cmd.OutOrStdout(), "", []bool{false, false, true, false}, rows)
			}
			rows := make([][]string, len(groups))
			for i, grp := range groups {
				rows[i] = []string{forTerminal(grp.Name, true), grp.Kind, count(grp.Messages, "message"), count(grp.Peers, "peer"), grp.ID}
			}
			return printTable(cmd.OutOrStdout(), "", []bool{false, false, true, true}, rows)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&left, "left", false, "list the groups you left: `log` reads their kept history, `join` with the last column joins one again")
	return cmd
}

// groupList asks the daemon, or reads the store when none runs, for the
// joined groups or the left ones.
func (g *globals) groupList(cmd *cobra.Command, left bool) ([]api.Group, error) {
	c, ok, err := g.daemon(cmd.Context())
	if err != nil {
		return nil, err
	}
	if ok && left {
		return c.LeftGroups(cmd.Context())
	}
	if ok {
		return c.Groups(cmd.Context())
	}
	l, err := g.local(false)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	list := l.Groups
	if left {
		list = l.LeftGroups
	}
	groups, err := list()
	if err != nil {
		return nil, err
	}
	out := []api.Group{}
	for _, grp := range groups {
		n, err := l.Count(grp)
		if err != nil {
			return nil, err
		}
		out = append(out, apiserver.NewGroup(grp, n, 0))
	}
	return out, nil
}
