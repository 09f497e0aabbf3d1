package netlab

import (
	"context"
	"fmt"
	"os/exec"
)

// SetRate limits what the host sends (up) and receives (down) to the given
// bits per second with a token bucket (tc tbf): on its own eth0 for what it
// sends, on its bridge port for what it receives. Zero leaves a direction
// alone. It needs tc (iproute2).
func (h *Host) SetRate(ctx context.Context, up, down int64) error {
	if _, err := exec.LookPath("tc"); err != nil {
		return fmt.Errorf("%w: tc is not installed; install iproute2", ErrMissingTool)
	}
	l := h.lab
	for _, side := range []struct {
		ns, dev string
		rate    int64
	}{{h.ns, "eth0", up}, {h.seg.ns, h.port, down}} {
		if side.rate <= 0 {
			continue
		}
		// A burst of 10 ms at the rate, and at least a few full frames; a
		// queue of up to 100 ms before frames are dropped.
		burst := max(side.rate/8/100, 32<<10)
		if err := l.inNS(ctx, side.ns, "", "tc", "qdisc", "replace", "dev", side.dev, "root", "tbf",
			"rate", fmt.Sprintf("%dbit", side.rate), "burst", fmt.Sprint(burst), "latency", "100ms"); err != nil {
			return fmt.Errorf("host %s: rate %d bit/s: %w", h.name, side.rate, err)
		}
	}
	l.log.Info("rate", "host", h.name, "up_bps", up, "down_bps", down)
	return nil
}
