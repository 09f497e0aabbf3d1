package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/libp2p/go-libp2p/gologshim"
	"github.com/spf13/cobra"

	"starling/home"
)

// globals are the flags every subcommand takes.
type globals struct {
	homeFlag  string
	logLevel  string
	logFormat string
	// passphraseFile is --passphrase-file, on the commands that may need
	// the user key (see passphrase.go).
	passphraseFile string

	home   home.Dir
	logger *slog.Logger
}

func (g *globals) register(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&g.homeFlag, "home", "", "home directory (default $STARLING_HOME, else ~/.local/share/starling)")
	f.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
}

// setup resolves the home and builds the logger (on stderr). libp2p's own
// logs go through the same handler, at warn or above unless debugging.
func (g *globals) setup(cmd *cobra.Command) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level %q: use debug, info, warn or error", g.logLevel)}
	}
	if cmd.Name() != "up" && cmd.Name() != "relay" && !cmd.Flags().Changed("log-level") {
		// Client commands print results; their lifecycle logs are noise.
		level = max(level, slog.LevelWarn)
	}
	switch g.logFormat = strings.ToLower(g.logFormat); g.logFormat {
	case "text", "json":
	default:
		return usageError{fmt.Errorf("--log-format %q: use text or json", g.logFormat)}
	}
	g.logger = g.newLogger(level)
	libp2pLevel := max(level, slog.LevelWarn)
	if level <= slog.LevelDebug {
		libp2pLevel = slog.LevelInfo
	}
	gologshim.SetDefaultHandler(g.newLogger(libp2pLevel).Handler())

	if g.homeFlag != "" {
		g.home = home.Dir(g.homeFlag)
	} else {
		d, err := home.Default()
		if err != nil {
			return err
		}
		g.home = d
	}
	return nil
}

// newLogger returns a logger on stderr in the chosen format.
func (g *globals) newLogger(level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if g.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
