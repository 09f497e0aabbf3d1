package netlab

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// The scenarios that need only `starling up`.

// lanOf builds one segment that loses loss per cent of its frames from the
// start, with n prepared hosts h1...hn on it.
func lanOf(ctx context.Context, l *Lab, n, loss int) (*Segment, []*Host, error) {
	seg, err := l.AddSegment(ctx, "lan", "10.10.0.0/24")
	if err != nil {
		return nil, nil, err
	}
	if loss > 0 {
		if err := seg.SetLoss(ctx, loss); err != nil {
			return nil, nil, err
		}
	}
	hosts, err := addHosts(ctx, seg, "h", n)
	if err != nil {
		return nil, nil, err
	}
	return seg, hosts, prepare(ctx, hosts...)
}

// runLAN's messages: how many each host sends, and the pause after each.
// Its simulator twin sends as many, as far apart (load paced: true), so
// that each message spreads alone and its latency is the network's and the
// nodes' own.
const (
	lanMessagesEach = 20
	lanSendGap      = 100 * time.Millisecond
)

// runLAN: five hosts on one bridge, mDNS on and no --peer. Each must find
// all the others, and every message must reach every host.
func runLAN(ctx context.Context, l *Lab) error {
	_, err := lanSpread(ctx, l)
	return err
}

// lanSpread is runLAN, returning how the messages spread: the figures its
// simulator twin (sim/scenarios/netlab-lan.yaml) reports too.
func lanSpread(ctx context.Context, l *Lab) (Spread, error) {
	_, hosts, err := lanOf(ctx, l, 5, 0)
	if err != nil {
		return Spread{}, err
	}
	var daemons []*Daemon
	if err := phase(l, "start with mDNS and no --peer", func() error {
		for _, h := range hosts {
			d, err := h.Start(ctx, "up", h.ListenFlags()...)
			if err != nil {
				return err
			}
			daemons = append(daemons, d)
		}
		return nil
	}); err != nil {
		return Spread{}, err
	}
	if err := phase(l, "find every other host by mDNS", func() error {
		ids := peerIDs(daemons)
		for i, h := range hosts {
			others := slices.Delete(slices.Clone(ids), i, i+1)
			if err := h.WaitPeers(ctx, group, others...); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return Spread{}, err
	}
	var spread Spread
	err = phase(l, "exchange messages", func() error {
		ids, err := sendPaced(ctx, hosts, lanMessagesEach, "lan", lanSendGap)
		if err != nil {
			return err
		}
		if err := Converge(ctx, group, ids, hosts...); err != nil {
			return err
		}
		if spread, err = MeasureSpread(ctx, group, ids, hosts...); err != nil {
			return err
		}
		l.log.Info("spread", "group", group, "messages", len(ids), "delivered", spread.Delivered, "expected", spread.Expected,
			"first_p50", spread.First.P50, "first_p99", spread.First.P99, "all_p50", spread.All.P50, "all_p99", spread.All.P99)
		return nil
	})
	return spread, err
}

// runPartition: four hosts in a mesh of static peers converge; the bridge
// then drops everything between {h1, h2} and {h3, h4}; each half exchanges
// messages that must not cross; after the heal all four hold everything.
func runPartition(ctx context.Context, l *Lab) error {
	seg, hosts, err := lanOf(ctx, l, 4, 0)
	if err != nil {
		return err
	}
	if _, err := startMesh(ctx, hosts); err != nil {
		return err
	}
	var all []string
	if err := phase(l, "converge before the split", func() error {
		ids, err := sendEach(ctx, hosts, 1, "before")
		all = append(all, ids...)
		if err != nil {
			return err
		}
		return Converge(ctx, group, all, hosts...)
	}); err != nil {
		return err
	}

	left, right := hosts[:2], hosts[2:]
	if err := phase(l, "split", func() error {
		if err := seg.Partition(ctx, left, right); err != nil {
			return err
		}
		if err := mustReach(ctx, left[0], left[1]); err != nil {
			return err
		}
		return mustNotReach(ctx, left[0], right[0])
	}); err != nil {
		return err
	}
	var leftIDs, rightIDs []string
	if err := phase(l, "talk within each half", func() error {
		for _, half := range []struct {
			hosts []*Host
			ids   *[]string
		}{{left, &leftIDs}, {right, &rightIDs}} {
			ids, err := sendEach(ctx, half.hosts, 2, "split")
			if err != nil {
				return err
			}
			*half.ids = ids
			if err := Converge(ctx, group, append(slices.Clone(all), ids...), half.hosts...); err != nil {
				return err
			}
		}
		if err := mustNotCross(ctx, leftIDs, right); err != nil {
			return err
		}
		if err := mustNotCross(ctx, rightIDs, left); err != nil {
			return err
		}
		return mustDrop(ctx, seg, "partition")
	}); err != nil {
		return err
	}
	return phase(l, "heal and converge", func() error {
		if err := seg.Heal(ctx); err != nil {
			return err
		}
		all = slices.Concat(all, leftIDs, rightIDs)
		return Converge(ctx, group, all, hosts...)
	})
}

// mustNotCross checks that no host holds any of ids.
func mustNotCross(ctx context.Context, ids []string, hosts []*Host) error {
	for _, h := range hosts {
		missing, err := h.Lacks(ctx, group, ids)
		if err != nil {
			return err
		}
		if len(missing) != len(ids) {
			return fmt.Errorf("%d messages crossed the partition to %s", len(ids)-len(missing), h.name)
		}
	}
	return nil
}

// runLossy: five hosts in a mesh of static peers, with the bridge dropping
// 20 % of all frames from the start; every message must reach every host.
func runLossy(ctx context.Context, l *Lab) error {
	seg, hosts, err := lanOf(ctx, l, 5, 20)
	if err != nil {
		return err
	}
	if _, err := startMesh(ctx, hosts); err != nil {
		return err
	}
	return phase(l, "every message arrives despite the loss", func() error {
		ids, err := sendEach(ctx, hosts, 3, "lossy")
		if err != nil {
			return err
		}
		if err := Converge(ctx, group, ids, hosts...); err != nil {
			return err
		}
		return mustDrop(ctx, seg, "loss")
	})
}
