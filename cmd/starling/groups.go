package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"starling/api"
	"starling/apiserver"
)

func newJoin(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "join NAME | join LINK",
		Short: "Join an open channel by name (node running or not), or a group by its invite link",
		Args:  exactArgs(1, "one channel name or invite link"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ok, err := g.daemon(cmd.Context())
			if err != nil {
				return err
			}
			if ok {
				grp, err := c.Join(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if learning(grp) {
					fmt.Fprintf(cmd.OutOrStdout(), "joined group %s; no member has answered yet: its name and messages come when one is reachable (see `starling groups`)\n", grp.ID)
					return nil
				}
				fmt.Fprintf(cmd.OutOrStdout(), "joined %s (%s), %s in it now\n", grp.Name, grp.ID, count(grp.Peers, "peer"))
				return nil
			}
			if strings.HasPrefix(strings.TrimSpace(args[0]), "starling:") {
				return fmt.Errorf("joining by invite link needs the node running (it publishes your profile and checks the link); start it with `starling up`")
			}
			l, err := g.local(false)
			if err != nil {
				return err
			}
			defer l.Close()
			grp, err := l.Join(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "joined %s (%s); your node takes part when you run `starling up`\n", grp.Name, grp.ID)
			return nil
		},
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
		Short: "Leave a group; its messages stay in your store",
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
			fmt.Fprintf(cmd.OutOrStdout(), "left %s\n", grp.Name)
			return nil
		},
	}
}

func newGroups(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "groups [--json]",
		Short: "List joined groups",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			groups, err := g.groupList(cmd)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, groups)
			}
			rows := make([][]string, len(groups))
			for i, grp := range groups {
				rows[i] = []string{forTerminal(grp.Name, true), grp.Kind, count(grp.Messages, "message"), count(grp.Peers, "peer"), grp.ID}
			}
			return printTable(cmd.OutOrStdout(), "", []bool{false, false, true, true}, rows)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// groupList asks the daemon, or reads the store when none runs.
func (g *globals) groupList(cmd *cobra.Command) ([]api.Group, error) {
	c, ok, err := g.daemon(cmd.Context())
	if err != nil {
		return nil, err
	}
	if ok {
		return c.Groups(cmd.Context())
	}
	l, err := g.local(false)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	groups, err := l.Groups()
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
