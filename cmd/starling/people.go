package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"

	"github.com/spf13/cobra"

	"starling/identity"
)

func newWhois(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "whois PERSON [--json]",
		Short: "Who has this fingerprint: their nicknames in your groups",
		Args:  exactArgs(1, "a person: a fingerprint, its start (as log shows it) or a nickname"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), "whois")
			if err != nil {
				return err
			}
			p, err := c.Whois(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, p)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "fingerprint %s\n", p.Fingerprint)
			switch p.Mode {
			case "block":
				fmt.Fprintln(out, "you blocked them (`starling unblock` lifts it)")
			case "mute":
				fmt.Fprintln(out, "you muted them (`starling unblock` lifts it)")
			}
			for _, grp := range p.Groups {
				fmt.Fprintf(out, "  %-20s as %s\n", forTerminal(grp.Group, true), forTerminal(grp.Nick, true))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// newBlock makes block, mute and unblock: this user's own choice, never
// sent to anyone.
func newBlock(g *globals, use, mode, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use + " PERSON",
		Short: short,
		Args:  exactArgs(1, "a person: a fingerprint, its start (as log shows it) or a nickname"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.needDaemon(cmd.Context(), use)
			if err != nil {
				return err
			}
			if err := c.Block(cmd.Context(), args[0], mode); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", use, args[0])
			return nil
		},
	}
}

// safetyNumber prints this user's safety code, or the number they share
// with another person (found by fingerprint through the running node).
func (g *globals) safetyNumber(cmd *cobra.Command, with string) error {
	u, err := g.loadUser()
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if with == "" {
		fmt.Fprintf(out, "your safety code: %s\ncompare it in person, or run `starling id --safety FINGERPRINT` for the number you share with someone\n", u.SafetyCode())
		return nil
	}
	// Whois takes a nickname or a fingerprint's start too; a safety number
	// is for checking one key, so it takes its whole fingerprint.
	if _, err := identity.ParseFingerprint(with); err != nil {
		return err
	}
	c, err := g.needDaemon(cmd.Context(), "the safety number with someone")
	if err != nil {
		return err
	}
	p, err := c.Whois(cmd.Context(), with)
	if err != nil {
		return err
	}
	key, err := hex.DecodeString(p.Key)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return fmt.Errorf("the node returned a bad key for %s", with)
	}
	fmt.Fprintf(out, "safety number with %s:\n%s\nboth of you should see the same digits\n", p.Fingerprint, identity.SafetyNumber(u.PublicKey(), key))
	return nil
}
