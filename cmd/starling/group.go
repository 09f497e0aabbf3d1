package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/spf13/cobra"

	"starling/api"
)

func newGroup(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "Create and run groups: private, announcement-only, moderated",
	}
	cmd.AddCommand(newGroupCreate(g), newGroupInfo(g), newGroupUpdate(g),
		newGroupRemove(g), newGroupAdd(g), newGroupDelete(g), newGroupBan(g), newGroupUnban(g))
	return cmd
}

func newGroupCreate(g *globals) *cobra.Command {
	var (
		private, announce, asJSON bool
		ends                      string
	)
	cmd := &cobra.Command{
		Use:   "create NAME [--private | --announce] [--ends RFC3339]",
		Short: "Create a group you own and print its reference",
		Long: `Creates a group owned by your key and joins it. Without a flag it is open
(anyone may read and post; you and your admins moderate). --private seals
everything under keys only members hold; --announce lets everyone read but only
you, your admins and the posters you name post. --ends sets when the event is
over: an hour later nodes stop accepting its messages and delete it.
Share it with ` + "`starling invite GROUP`" + `.`,
		Args: exactArgs(1, "the group's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind := "open"
			switch {
			case private && announce:
				return usageError{errors.New("a group is --private or --announce, not both")}
			case private:
				kind = "private"
			case announce:
				kind = "announce"
			}
			var endsAt *time.Time
			if ends != "" {
				t, err := time.Parse(time.RFC3339, ends)
				if err != nil {
					return usageError{fmt.Errorf("--ends %q: use RFC 3339, such as 2026-12-01T18:00:00+01:00", ends)}
				}
				endsAt = &t
			}
			c, err := g.needDaemon(cmd.Context(), "group create")
			if err != nil {
				return err
			}
			d, err := c.CreateGroup(cmd.Context(), args[0], kind, endsAt)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, d)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\ncreated %s group %q; invite people with `starling invite %s`\n", d.ID, d.Kind, d.Name, d.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&private, "private", false, "members only, end-to-end encrypted")
	f.BoolVar(&announce, "announce", false, "everyone reads, only named posters post")
	f.StringVar(&ends, "ends", "", "when the event ends (RFC 3339)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newGroupInfo(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info GROUP [--json]",
		Short: "Show a group's kind, owner, roles, end time, members and where you stand",
		Long: `Shows the group's kind, owner, version (how many changes its owner and
admins made), admins, posters, removed and banned members, end time, slow mode,
key epoch and the members with a profile. When you can no longer post there,
a line starting "standing" says why: you were removed or banned (by whom,
when), or you joined a private group with an invite made before someone was
removed, which admits nobody to what is sent after it (ask for a fresh link,
or ask an admin to run ` + "`starling group add`" + `).`,
		Args: exactArgs(1, "one group"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), "group info")
			if err != nil {
				return err
			}
			d, err := c.Group(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, d)
			}
			printGroupDetail(cmd, d)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printGroupDetail(cmd *cobra.Command, d api.GroupDetail) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "%s (%s)\nid       %s\n", forTerminal(d.Name, true), d.Kind, d.ID)
	if d.You.Why != "" {
		fmt.Fprintf(out, "standing %s\n", forTerminal(d.You.Why, true))
	}
	if d.Owner != "" {
		fmt.Fprintf(out, "owner    %s\nversion  %d\n", d.Owner, d.Version)
	}
	if len(d.Admins) > 0 {
		fmt.Fprintf(out, "admins   %s\n", strings.Join(d.Admins, ", "))
	}
	if len(d.Posters) > 0 {
		fmt.Fprintf(out, "posters  %s\n", strings.Join(d.Posters, ", "))
	}
	if len(d.Removed) > 0 {
		fmt.Fprintf(out, "removed  %s\n", strings.Join(d.Removed, ", "))
	}
	if len(d.Banned) > 0 {
		fmt.Fprintf(out, "banned   %s\n", strings.Join(d.Banned, ", "))
	}
	if d.EndsAt != nil {
		fmt.Fprintf(out, "ends     %s\n", d.EndsAt.Local().Format(time.DateTime))
	}
	if d.SlowModeSeconds > 0 {
		fmt.Fprintf(out, "slow     one message per %s per person\n", time.Duration(d.SlowModeSeconds)*time.Second)
	}
	if d.Epoch > 0 {
		fmt.Fprintf(out, "epoch    %d\n", d.Epoch)
	}
	fmt.Fprintf(out, "%s, %s, %s with a profile\n", count(d.Messages, "message"), count(d.Peers, "peer"), count(len(d.Members), "member"))
	for _, m := range d.Members {
		role := ""
		if m.Admin {
			role = " (admin)"
		}
		fmt.Fprintf(out, "  %s  %s%s\n", m.Fingerprint, forTerminal(m.Nick, true), role)
	}
}

func newGroupUpdate(g *globals) *cobra.Command {
	var (
		req                     api.UpdateRequest
		slow, ends              string
		addAdmin, removeAdmin   []string
		addPoster, removePoster []string
	)
	cmd := &cobra.Command{
		Use:   "update GROUP [--name N] [--add-admin FP]... [--remove-admin FP]... [--add-poster FP]... [--remove-poster FP]... [--slow-mode DURATION] [--ends RFC3339|never]",
		Short: "Change a group's name, admins, posters, slow mode or end time (owner and admins; only the owner adds or removes admins)",
		Args:  exactArgs(1, "one group"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.AddAdmins, req.RemoveAdmins = addAdmin, removeAdmin
			req.AddPosters, req.RemovePosters = addPoster, removePoster
			if slow != "" {
				d, err := time.ParseDuration(slow)
				if err != nil || d < 0 {
					return usageError{fmt.Errorf("--slow-mode %q: use a duration such as 30s or 2m, 0 for off", slow)}
				}
				secs := int(d / time.Second)
				req.SlowModeSeconds = &secs
			}
			if ends != "" {
				v := ends
				if ends == "never" {
					v = ""
				} else if _, err := time.Parse(time.RFC3339, ends); err != nil {
					return usageError{fmt.Errorf("--ends %q: use RFC 3339 or never", ends)}
				}
				req.EndsAt = &v
			}
			c, err := g.needDaemon(cmd.Context(), "group update")
			if err != nil {
				return err
			}
			d, err := c.Update(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			printGroupDetail(cmd, d)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Name, "name", "", "new name")
	f.StringArrayVar(&addAdmin, "add-admin", nil, "make a member (fingerprint) an admin")
	f.StringArrayVar(&removeAdmin, "remove-admin", nil, "take admin rights from a member")
	f.StringArrayVar(&addPoster, "add-poster", nil, "let a member post in an announcement channel")
	f.StringArrayVar(&removePoster, "remove-poster", nil, "stop a member posting in an announcement channel")
	f.StringVar(&slow, "slow-mode", "", "at most one message per DURATION per person (0: off)")
	f.StringVar(&ends, "ends", "", "new end time (RFC 3339), or never")
	return cmd
}

func newGroupRemove(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "remove GROUP FINGERPRINT",
		Short: "Remove a member from a private group: everyone else gets a new key",
		Long: `Removes a member from a private group (owner and admins; only the owner removes
an admin): every other member gets the next epoch's key, sealed to them alone,
so the removed member reads nothing sent from then on, and every node drops
what they send. Invite links made before the removal admit nobody to what is
sent after it. ` + "`starling group add`" + ` takes them back.`,
		Args: exactArgs(2, "a group and the member's fingerprint"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), "group remove")
			if err != nil {
				return err
			}
			d, err := c.RemoveMember(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %s from %s; the group is at key epoch %d and they can read nothing sent from now on\n", args[1], d.Name, d.Epoch)
			return nil
		},
	}
}

func newGroupAdd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "add GROUP FINGERPRINT",
		Short: "Admit someone to a private group: a removed member again, or a joiner whose invite went stale",
		Long: `Admits someone to a private group (owner and admins). A removed member comes
back with a fresh key epoch: they read what is sent from now on, nothing of the
time they were out. Someone who joined with an invite made before a removal
(` + "`group info`" + ` tells them it is stale) gets the current key. Either way they
must have joined with a link, so that their node has published its profile.`,
		Args: exactArgs(2, "a group and the member's fingerprint"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), "group add")
			if err != nil {
				return err
			}
			d, err := c.AddMember(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added %s to %s; the group is at key epoch %d and they read what is sent from now on\n", args[1], d.Name, d.Epoch)
			return nil
		},
	}
}

func newGroupDelete(g *globals) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "delete GROUP MESSAGE_ID [--reason TEXT]",
		Short: "Delete a message (your own; admins any): every node hides it and stops serving it",
		Args:  exactArgs(2, "a group and a message ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), "group delete")
			if err != nil {
				return err
			}
			if _, err := c.Delete(cmd.Context(), args[0], args[1], reason); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[1])
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (shown to members)")
	return cmd
}

func newGroupBan(g *globals) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "ban GROUP FINGERPRINT [--reason TEXT]",
		Short: "Ban an author from a group (owner and admins; only the owner bans an admin): their later messages are dropped everywhere",
		Args:  exactArgs(2, "a group and the author's fingerprint"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), "group ban")
			if err != nil {
				return err
			}
			if _, err := c.Ban(cmd.Context(), args[0], args[1], reason); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "banned %s\n", args[1])
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (shown to members)")
	return cmd
}

func newGroupUnban(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "unban GROUP FINGERPRINT",
		Short: "Lift an author's ban (owner and admins): they post again from now on",
		Long: `Lifts every ban of an author in a group (owner and admins): what they send from
now on is accepted again. What they sent while banned stays dropped.`,
		Args: exactArgs(2, "a group and the author's fingerprint"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), "group unban")
			if err != nil {
				return err
			}
			if _, err := c.Unban(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "unbanned %s\n", args[1])
			return nil
		},
	}
}

func newInvite(g *globals) *cobra.Command {
	var (
		relays  []string
		showQR  bool
		pngOut  string
		carrier bool
	)
	cmd := &cobra.Command{
		Use:   "invite GROUP [--relay MULTIADDR]... [--carrier] [--qr] [--png FILE]",
		Short: "Print a starling://join link to a group (and its QR code)",
		Long: `Prints a link that lets someone join the group: its ID, for a private group
its secret and current key (so treat such a link like a key), the relays to
reach it through and, last, the fingerprint of the owner key the group commits
to. The joiner's node learns the group's signed descriptor from its members.
An open channel's link carries its name. The link is on the first line; --qr
draws it as a QR code in the terminal (at most 80 columns wide), --png writes
the QR code to FILE.

--carrier makes a private group's carrier link instead, for an organiser relay:
` + "`starling relay --group LINK`" + ` then stores, forwards and serves the group's
messages (ciphertext) for late joiners without holding any key to read them.`,
		Args: exactArgs(1, "one group"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkRelays(relays); err != nil {
				return err
			}
			c, err := g.needDaemon(cmd.Context(), "invite")
			if err != nil {
				return err
			}
			invite := c.Invite
			if carrier {
				invite = c.CarrierInvite
			}
			link, err := invite(cmd.Context(), args[0], relays)
			if err != nil {
				return err
			}
			// Everything that can fail happens before the link is printed:
			// a failed command prints nothing on stdout.
			var drawing string
			if showQR || pngOut != "" {
				code, err := qrCode(link)
				if err != nil {
					return fmt.Errorf("the link does not fit a QR code (%v); pass fewer --relay addresses", err)
				}
				if showQR {
					drawing = qrTerminal(code)
				}
				if pngOut != "" {
					b, err := qrPNG(code, 8)
					if err != nil {
						return err
					}
					if err := os.WriteFile(pngOut, b, 0o600); err != nil {
						return fmt.Errorf("write the QR code: %w", err)
					}
				}
			}
			fmt.Fprint(cmd.OutOrStdout(), link+"\n"+drawing)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&relays, "relay", nil, "relay multiaddr ending in /p2p/ID (repeatable)")
	f.BoolVar(&carrier, "carrier", false, "a private group's carrier link, for a relay that carries it unread")
	f.BoolVar(&showQR, "qr", false, "draw the link as a QR code")
	f.StringVar(&pngOut, "png", "", "write the QR code to this PNG file")
	return cmd
}

// checkRelays refuses --relay addresses a joining node could not dial: each
// must be a multiaddr ending in /p2p/PEER_ID.
func checkRelays(relays []string) error {
	for _, r := range relays {
		a, err := ma.NewMultiaddr(r)
		if err == nil {
			_, err = peer.AddrInfoFromP2pAddr(a)
		}
		if err != nil {
			return usageError{fmt.Errorf("--relay %q must be a multiaddr ending in /p2p/PEER_ID (see `starling id` on the relay)", r)}
		}
	}
	return nil
}
