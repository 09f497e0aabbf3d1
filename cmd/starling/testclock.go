package main

import (
	"time"

	"github.com/spf13/cobra"

	"starling/node"
)

// clockOffsetFlag is a hidden daemon flag for tests only: --clock-offset
// DURATION runs the node on a clock that far from the system's (such as
// 1h or -90m), as on a device whose clock is set wrong, so that the
// network lab can show `starling doctor` finding the skew without changing
// any machine's clock. Only Starling's clock moves (sent_at, arrival
// times, group expiry); libp2p's TLS and the relay's reservations keep the
// system's.
type clockOffsetFlag struct{ offset time.Duration }

func (c *clockOffsetFlag) add(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&c.offset, "clock-offset", 0, "for tests: run the node's clock this far from the system's")
	cmd.Flags().MarkHidden("clock-offset")
}

func (c *clockOffsetFlag) apply(cfg *node.Config) {
	if c.offset == 0 {
		return
	}
	off := c.offset
	cfg.Clock = func() time.Time { return time.Now().Add(off) }
}
