package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"starling/identity"
	"starling/identity/transportkey"
)

func newInit(g *globals) *cobra.Command {
	var (
		name string
		seal bool
	)
	cmd := &cobra.Command{
		Use:   "init --name NAME [--passphrase]",
		Short: "Make your user key in the home directory and print its fingerprint",
		Long: `Make your user key in the home directory and print its fingerprint.

With --passphrase (or --passphrase-file) the key is sealed with a passphrase
(argon2id and XChaCha20-Poly1305), and every command that needs the key asks
for it. The passphrase comes from the first line of --passphrase-file FILE,
else from $` + passphraseEnv + `, else it is asked for twice on the terminal.
There is no way to recover a forgotten passphrase.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				return usageError{errors.New("init needs --name NAME, the name others see")}
			}
			if err := os.MkdirAll(string(g.home), 0o700); err != nil {
				return fmt.Errorf("create %s: %w", g.home, err)
			}
			path := g.home.UserKey()
			switch u, err := identity.LoadUser(path); {
			case err == nil:
				return fmt.Errorf("%s is already initialised for %s (fingerprint %s); use another --home for another identity", g.home, u.Name, u.Fingerprint().Pretty())
			case errors.Is(err, identity.ErrSealed):
				return fmt.Errorf("%s is already initialised (its key is sealed with a passphrase); use another --home for another identity", g.home)
			case !errors.Is(err, identity.ErrNoKey):
				return err // a key file is there, but unreadable: say why
			}
			u, err := identity.NewUser(name)
			if err != nil {
				return usageError{fmt.Errorf("--name: %w", err)}
			}
			seal = seal || g.passphraseFile != ""
			if err := saveUser(g, u, path, seal); err != nil {
				return err
			}
			if _, err := transportkey.LoadOrCreate(g.home.TransportKey()); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s\nfingerprint %s\nhome %s\n", u.Name, u.Fingerprint().Pretty(), g.home)
			if seal {
				fmt.Fprintln(out, "the key is sealed with your passphrase")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "your display name")
	cmd.Flags().BoolVar(&seal, "passphrase", false, "seal the key with a passphrase")
	g.addPassphraseFlag(cmd)
	return cmd
}

// saveUser writes the new key, sealed with a passphrase when seal is set.
func saveUser(g *globals, u *identity.User, path string, seal bool) error {
	if !seal {
		return u.Save(path)
	}
	secret, err := g.newPassphrase()
	if err != nil {
		return err
	}
	defer clear(secret)
	return u.SaveSealed(path, secret)
}
