package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"starling/api"
)

func newReact(g *globals) *cobra.Command {
	var (
		remove, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "react GROUP ID EMOJI [--remove]",
		Short: "React to a message with an emoji, or take your reaction back",
		Long: `Adds your EMOJI to the text ID names (its ID as ` + "`starling log --json`" + ` prints it, or
the first 8 or more of its hex digits) and prints the message's reactions. One
reaction per person per emoji: reacting again with the same emoji sends nothing.
--remove takes yours back. Needs the node.`,
		Args: exactArgs(3, "a group, a message ID and an emoji"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), "react")
			if err != nil {
				return err
			}
			res, err := c.React(cmd.Context(), args[0], args[1], args[2], remove)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, res)
			}
			out := cmd.OutOrStdout()
			switch {
			case remove && res.Changed:
				fmt.Fprintf(out, "took back your %s on %s\n", args[2], res.ID[:8])
			case remove:
				fmt.Fprintf(out, "you had no %s on %s; nothing sent\n", args[2], res.ID[:8])
			case res.Changed && res.Peers == 0:
				fmt.Fprintf(out, "reacted %s to %s (queued: no peer in %s yet)\n", args[2], res.ID[:8], forTerminal(res.Group, true))
			case res.Changed:
				fmt.Fprintf(out, "reacted %s to %s (sent to %d peers)\n", args[2], res.ID[:8], res.Peers)
			default:
				fmt.Fprintf(out, "you reacted %s to %s already; nothing sent\n", args[2], res.ID[:8])
			}
			if line := reactionsLine(res.Reactions); line != "" {
				fmt.Fprintln(out, line)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&remove, "remove", false, "take your reaction back")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// reactionsLine shows a text's reactions as "👍 2  ❤️ 1 (yours: 👍)", or
// "" when it has none.
func reactionsLine(rs []api.Reaction) string {
	var parts, mine []string
	for _, r := range rs {
		e := forTerminal(r.Emoji, true)
		parts = append(parts, fmt.Sprintf("%s %d", e, r.Count))
		if r.Mine {
			mine = append(mine, e)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	line := "    " + strings.Join(parts, "  ")
	if len(mine) > 0 {
		line += " (yours: " + strings.Join(mine, " ") + ")"
	}
	return line
}

// replyMark is what a reply's text starts with in `log`: the short ID of
// the message it answers.
func replyMark(m api.Message) string {
	if m.Kind != "text" || len(m.Ref) < 8 {
		return ""
	}
	return "↪ " + m.Ref[:8] + " "
}

// reply sends a reply through the node, which must run: the message
// answered is looked up among what it holds.
func (g *globals) reply(cmd *cobra.Command, ref, text, replyTo string) (api.SendResponse, error) {
	c, err := g.needDaemon(cmd.Context(), "send --reply")
	if err != nil {
		return api.SendResponse{}, err
	}
	return c.Reply(cmd.Context(), ref, text, replyTo)
}
