package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// errSimMoved answers `starling sim`: the simulator is a command of its own,
// so that the messenger links neither it nor its report's plotting.
var errSimMoved = errors.New("the simulator is its own command now: run `starling-sim SCENARIO` " +
	"(`starling-sim --help` says more; from Starling's source, `go run ./cmd/starling-sim SCENARIO`)")

// newSimMoved keeps `starling sim` as a pointer to starling-sim, with any
// arguments and flags, --help included.
func newSimMoved() *cobra.Command {
	return &cobra.Command{
		Use:                "sim",
		Short:              "Moved: the simulator is the starling-sim command",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError{errSimMoved}
		},
	}
}
