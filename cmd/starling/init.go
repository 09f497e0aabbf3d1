package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"starling/identity"
)

func newInit(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "init --name NAME",
		Short: "Make your user key in the home directory and print its fingerprint",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				return usageError{errors.New("init needs --name NAME, the name others see")}
			}
			if err := os.MkdirAll(string(g.home), 0o700); err != nil {
				return fmt.Errorf("create %s: %w", g.home, err)
			}
			if u, err := identity.LoadUser(g.home.UserKey()); err == nil {
				return fmt.Errorf("%s is already initialised for %s (fingerprint %s); use another --home for another identity", g.home, u.Name, u.Fingerprint().Pretty())
			}
			u, err := identity.NewUser(name)
			if err != nil {
				return usageError{fmt.Errorf("--name: %w", err)}
			}
			if err := u.Save(g.home.UserKey()); err != nil {
				return err
			}
			if _, err := identity.LoadOrCreateTransport(g.home.TransportKey()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\nfingerprint %s\nhome %s\n", u.Name, u.Fingerprint().Pretty(), g.home)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "your display name")
	return cmd
}

// loadUser reads the home's user key, saying what to do when there is none.
func (g *globals) loadUser() (*identity.User, error) {
	if err := g.home.Check(); err != nil {
		return nil, err
	}
	return identity.LoadUser(g.home.UserKey())
}
