package netlab

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// Building blocks the scenarios share.

// group is the open channel every scenario talks in.
const group = "lobby"

// addHosts adds hosts named prefix1, prefix2, ... to seg.
func addHosts(ctx context.Context, seg *Segment, prefix string, n int) ([]*Host, error) {
	var hosts []*Host
	for i := range n {
		h, err := seg.AddHost(ctx, fmt.Sprintf("%s%d", prefix, i+1))
		if err != nil {
			return nil, err
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

// prepare initialises each host's home under the host's name and joins the
// group, before any daemon runs: the daemons start in the group.
func prepare(ctx context.Context, hosts ...*Host) error {
	for _, h := range hosts {
		if err := h.Init(ctx, h.name); err != nil {
			return err
		}
		if err := h.Join(ctx, group); err != nil {
			return err
		}
	}
	return nil
}

// startMesh starts `up` on the hosts one after another, without mDNS, each
// with a --peer for every host started before it: a full mesh of static
// peers, which the later of each pair keeps connected.
func startMesh(ctx context.Context, hosts []*Host) ([]*Daemon, error) {
	var daemons []*Daemon
	var peers []string
	for _, h := range hosts {
		flags := append(h.ListenFlags(), "--no-mdns")
		for _, p := range peers {
			flags = append(flags, "--peer", p)
		}
		d, err := h.Start(ctx, "up", flags...)
		if err != nil {
			return nil, err
		}
		addr, err := d.TCPAddr()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.name, err)
		}
		daemons = append(daemons, d)
		peers = append(peers, addr)
	}
	return daemons, nil
}

// sendEach has every host send n messages labelled with label, and returns
// their IDs.
func sendEach(ctx context.Context, hosts []*Host, n int, label string) ([]string, error) {
	return sendPaced(ctx, hosts, n, label, 0)
}

// sendPaced is sendEach with a pause after every message, so that one
// message spreads while nothing else runs: the CLI of the next send,
// starting up on the same two CPUs, would otherwise delay it.
func sendPaced(ctx context.Context, hosts []*Host, n int, label string, gap time.Duration) ([]string, error) {
	var ids []string
	for _, h := range hosts {
		for i := range n {
			id, err := h.Send(ctx, group, fmt.Sprintf("%s: message %d from %s", label, i+1, h.name))
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
			if err := sleep(ctx, gap); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

// peerIDs returns the daemons' peer IDs.
func peerIDs(daemons []*Daemon) []string {
	ids := make([]string, len(daemons))
	for i, d := range daemons {
		ids[i] = d.ID().PeerID
	}
	return ids
}

// probeTimeout bounds a reachability probe that is expected to fail: a
// slow machine only makes it fail later, never succeed.
const probeTimeout = 2 * time.Second

// reachTimeout bounds a connection that is expected to succeed. It is long
// because a busy machine (or a frame lost while a link comes up) costs a
// TCP connection a SYN sent again, 1 s after the first and then 3, 7 and
// 15 s after it: a shorter bound turned one late SYN-ACK into "cannot
// reach". A probe that succeeds ends at once.
const reachTimeout = 30 * time.Second

// mustReach checks that from reaches to's listening port, and mustNotReach
// that it does not: proof that a filter or NAT is in force before a
// scenario relies on it.
func mustReach(ctx context.Context, from, to *Host) error {
	if err := from.Dial(ctx, netip.AddrPortFrom(to.addr, port), reachTimeout); err != nil {
		return fmt.Errorf("%s cannot reach %s (%s:%d), but it should: %w", from.name, to.name, to.addr, port, err)
	}
	return nil
}

func mustNotReach(ctx context.Context, from, to *Host) error {
	return mustNotReachAddr(ctx, from, netip.AddrPortFrom(to.addr, port), to.name)
}

// mustNotReachAddr checks that from does not reach addr, which is what.
func mustNotReachAddr(ctx context.Context, from *Host, addr netip.AddrPort, what string) error {
	if err := from.Dial(ctx, addr, probeTimeout); err == nil {
		return fmt.Errorf("%s reaches %s (%s), but the filter should drop that traffic", from.name, what, addr)
	}
	return nil
}

// mustDrop checks that the segment's rules have dropped frames.
func mustDrop(ctx context.Context, seg *Segment, what string) error {
	n, err := seg.Dropped(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("segment %s: the %s rules dropped no frame; they are not in force", seg.name, what)
	}
	seg.lab.log.Info("frames dropped", "segment", seg.name, "by", what, "frames", n)
	return nil
}

// phase runs one step of a scenario and names it in its error.
func phase(l *Lab, name string, step func() error) error {
	l.log.Info("phase", "step", name)
	start := time.Now()
	if err := step(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	l.log.Info("phase done", "step", name, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// sleep waits for d, or less if ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
