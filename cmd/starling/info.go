package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"starling/api"
	"starling/apiserver"
	"starling/store"
)

func newPeers(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "peers [--json]",
		Short: "List connected peers and the groups you share with them",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), "peers")
			if err != nil {
				return err
			}
			peers, err := c.Peers(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, peers)
			}
			out := cmd.OutOrStdout()
			if len(peers) == 0 {
				fmt.Fprintln(out, "no peers connected")
			}
			for _, p := range peers {
				fmt.Fprintf(out, "%s  groups: %s\n", p.PeerID, strings.Join(p.Groups, ", "))
				for _, a := range p.Addrs {
					fmt.Fprintf(out, "    %s\n", a)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newID(g *globals) *cobra.Command {
	var asJSON, safety bool
	cmd := &cobra.Command{
		Use:   "id [--json] | id --safety [FINGERPRINT]",
		Short: "Print the running node's peer ID, addresses and your fingerprint; or a safety number",
		Long: `Prints the running node's peer ID, full addresses, your fingerprint and name.
With --safety it prints your safety code instead (no node needed), or, given
someone's fingerprint, the safety number the two of you share: compare the
digits in person to know that nobody sits between you.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 || (len(args) == 1 && !safety) {
				return usageError{fmt.Errorf("id takes a fingerprint only with --safety (see `%s --help`)", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if safety {
				with := ""
				if len(args) == 1 {
					with = args[0]
				}
				return g.safetyNumber(cmd, with)
			}
			c, err := g.needDaemon(cmd.Context(), "id")
			if err != nil {
				return err
			}
			id, err := c.ID(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, id)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "name        %s\nfingerprint %s\npeer        %s\n", id.Name, id.Fingerprint, id.PeerID)
			for _, a := range id.Addrs {
				fmt.Fprintf(out, "address     %s\n", a)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&safety, "safety", false, "print your safety code, or the safety number you share with FINGERPRINT")
	g.addPassphraseFlag(cmd) // --safety reads the user key
	return cmd
}

func newStatus(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "Show the node, its peers and the groups it holds",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ok, err := g.daemon(cmd.Context())
			if err != nil {
				return err
			}
			if !ok {
				return g.offlineStatus(cmd, asJSON)
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, st)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "node       running for %s, %s, %d queued to send\n",
				time.Since(st.Started).Round(time.Second), count(st.Peers, "peer"), st.Outbox)
			fmt.Fprintf(out, "you        %s (%s)\n", st.Name, st.Fingerprint)
			printRelays(out, st.Relays)
			printStore(cmd, st.Store)
			printGroupTable(cmd, st.Groups)
			printCounters(cmd, st.Gossip)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (g *globals) offlineStatus(cmd *cobra.Command, asJSON bool) error {
	groups, err := g.groupList(cmd, false)
	if err != nil {
		return err
	}
	l, err := g.local(false)
	if err != nil {
		return err
	}
	outbox, err := l.Outbox()
	health := apiserver.NewStoreHealth(l.Disk(), l.CorruptSkipped())
	l.Close()
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(cmd, map[string]any{"running": false, "outbox": outbox, "groups": groups, "store": health})
	}
	fmt.Fprintf(cmd.OutOrStdout(), "node       not running (start it with `starling up`), %d queued to send\n", outbox)
	printStore(cmd, &health)
	printGroupTable(cmd, groups)
	return nil
}

// printStore prints the store's line: its disk state, and the damaged
// records reads skipped.
func printStore(cmd *cobra.Command, h *api.StoreHealth) {
	if h == nil {
		return
	}
	out := cmd.OutOrStdout()
	switch {
	case h.State != "ok":
		fmt.Fprintf(out, "store      %s: %s\n", strings.ToUpper(h.State), h.Reason)
	case h.FreeBytes >= 0:
		fmt.Fprintf(out, "store      ok, %s free (messages from others are refused below %s)\n",
			store.Bytes(h.FreeBytes), store.Bytes(h.FloorBytes))
	default:
		fmt.Fprintln(out, "store      ok")
	}
	if h.Skipped > 0 {
		fmt.Fprintf(out, "           %d damaged records skipped by reads; stop the node and run `starling store check --repair`\n", h.Skipped)
	}
}

func printGroupTable(cmd *cobra.Command, groups []api.Group) {
	out := cmd.OutOrStdout()
	if len(groups) == 0 {
		fmt.Fprintln(out, "groups     none joined (try `starling join lobby`)")
		return
	}
	fmt.Fprintln(out, "groups")
	rows := make([][]string, len(groups))
	for i, grp := range groups {
		last := "no catch-up yet"
		if s := grp.LastSync; s != nil {
			last = fmt.Sprintf("caught up %s ago with %s (fetched %d, sent %d)",
				time.Since(s.At).Round(time.Second), shortPeer(s.Peer), s.Fetched, s.Pushed)
		}
		rows[i] = []string{forTerminal(grp.Name, true), count(grp.Messages, "message"), count(grp.Peers, "peer"), last}
	}
	printTable(out, "  ", []bool{false, true, true}, rows)
}

// printRelays prints the relays line: the organiser relays the node knows
// (from --relay and invites), how many it is connected to and holds a
// reservation on (through which peers it cannot reach directly reach it),
// each by the end of its peer ID.
func printRelays(w io.Writer, relays []api.Relay) {
	if len(relays) == 0 {
		fmt.Fprintln(w, "relays     none (an invite link that names a relay, or `starling up --relay ADDR`, adds one)")
		return
	}
	connected, reserved := 0, 0
	each := make([]string, len(relays))
	for i, r := range relays {
		state := "not connected"
		switch {
		case r.Reserved:
			state = "reserved"
			reserved++
			connected++
		case r.Connected:
			state = "connected"
			connected++
		}
		each[i] = shortPeer(r.PeerID) + " " + state
	}
	fmt.Fprintf(w, "relays     %s, %d connected, %d with a reservation: %s\n",
		count(len(relays), "relay"), connected, reserved, strings.Join(each, ", "))
}

func printCounters(cmd *cobra.Command, counters map[string]uint64) {
	keys := make([]string, 0, len(counters))
	for k, v := range counters {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	slices.Sort(keys)
	fmt.Fprintln(cmd.OutOrStdout(), "gossip")
	for _, k := range keys {
		fmt.Fprintf(cmd.OutOrStdout(), "  %-28s %d\n", k, counters[k])
	}
}
