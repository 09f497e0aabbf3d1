package netlab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// The hole punching scenarios: two attendees behind NATs of their own meet
// through a relay, then connect directly (DCUtR), over TCP or over QUIC.

// directTimeout bounds the wait for a direct connection once the relayed one
// is up: DCUtR tries three times, each dial bounded by 10 s; one that works
// takes milliseconds.
const directTimeout = 30 * time.Second

// transport is how the clients of a hole punching scenario reach the relay.
// It decides the transport they punch with: a client learns its NAT's
// outside address only from the connections it has to public peers, and
// that address is all it offers the other side.
type transport struct {
	name   string // in messages: TCP, QUIC
	proto  string // the multiaddr protocol after /ip4/ADDR/: tcp, udp
	suffix string // what a direct address over it holds: /tcp/, /quic-v1
}

var (
	overTCP  = transport{name: "TCP", proto: "tcp", suffix: "/tcp/"}
	overQUIC = transport{name: "QUIC", proto: "udp", suffix: "/quic-v1"}
)

// holePunch returns the scenario over t: a relay on the public segment,
// clients a1 and b1 each behind a NAT of its own that lets no connection
// in. b1 starts with a1's circuit address as a static peer; hole punching
// must turn that relayed connection into a direct one between the NATs'
// outside addresses. With the relay then killed, messages still flow
// between a1 and b1: over the punched hole, the only path left.
func holePunch(t transport) func(ctx context.Context, l *Lab) error {
	return func(ctx context.Context, l *Lab) error {
		return runHolePunch(ctx, l, t)
	}
}

func runHolePunch(ctx context.Context, l *Lab, t transport) error {
	public, nats, sites, err := natSites(ctx, l, 1)
	if err != nil {
		return err
	}
	a, b := sites[0][0], sites[1][0]
	clients := []*Host{a, b}
	relayHost, err := public.AddHost(ctx, "relay")
	if err != nil {
		return err
	}

	var relay *Daemon
	var relayAddr, circuit string // circuit: a1's address through the relay
	var aID string
	if err := phase(l, "start the relay and a1; a1 reserves a slot", func() error {
		if relay, _, err = startRelay(ctx, relayHost); err != nil {
			return err
		}
		if relayAddr, err = relay.ID().Addr(fmt.Sprintf("/ip4/%s/%s/", relayHost.addr, t.proto)); err != nil {
			return fmt.Errorf("relay: %w", err)
		}
		if err := prepare(ctx, a, b); err != nil {
			return err
		}
		ad, err := a.Start(ctx, "up", append(a.ListenFlags(), "--no-mdns", "--relay", relayAddr)...)
		if err != nil {
			return err
		}
		aID = ad.ID().PeerID
		circuit, err = a.waitCircuit(ctx, relayAddr)
		return err
	}); err != nil {
		return err
	}
	if err := phase(l, "check the NATs", func() error {
		if err := mustReach(ctx, a, relayHost); err != nil {
			return err
		}
		if err := mustNotReach(ctx, a, b); err != nil {
			return err
		}
		// Nor at the NATs' outside addresses, where the hole will be: each
		// probe waits out probeTimeout, so they run together.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Go(func() {
			errs[0] = mustNotReachAddr(ctx, relayHost, netip.AddrPortFrom(nats[0].Outside(), port), "a1's NAT")
		})
		wg.Go(func() { errs[1] = mustNotReachAddr(ctx, a, netip.AddrPortFrom(nats[1].Outside(), port), "b1's NAT") })
		wg.Wait()
		return errors.Join(errs...)
	}); err != nil {
		return err
	}
	if err := phase(l, "start b1 with a1's circuit address as its peer", func() error {
		_, err := b.Start(ctx, "up", append(b.ListenFlags(), "--no-mdns", "--relay", relayAddr, "--peer", circuit)...)
		return err
	}); err != nil {
		return err
	}
	if err := phase(l, "hole punching connects b1 to a1 directly over "+t.name, func() error {
		pctx, cancel := context.WithTimeoutCause(ctx, directTimeout,
			fmt.Errorf("no direct connection within %s; the daemons' logs say why (component=holepunch)", directTimeout))
		defer cancel()
		addr, conns, err := b.waitDirect(pctx, aID)
		if err != nil {
			return err
		}
		// The hole is in a1's NAT, so that is where b1 reaches a1.
		if want := fmt.Sprintf("/ip4/%s/%s/", nats[0].Outside(), t.proto); !strings.HasPrefix(addr, want) || !strings.Contains(addr, t.suffix) {
			return fmt.Errorf("b1 reaches a1 directly at %s, want a1's NAT over %s (%s...)", addr, t.name, want)
		}
		l.log.Info("direct connection", "from", b.name, "to", a.name, "addr", addr, "connections", conns)
		return nil
	}); err != nil {
		return err
	}
	return phase(l, "with the relay gone, messages flow over the punched hole", func() error {
		relay.Kill()
		ids, err := sendEach(ctx, clients, 1, "holepunch over "+t.name)
		if err != nil {
			return err
		}
		return Converge(ctx, group, ids, clients...)
	})
}

// waitCircuit waits until the host's daemon holds a reservation on the
// relay at relayAddr, which shows as an address of its own through the relay,
// and returns that address.
func (h *Host) waitCircuit(ctx context.Context, relayAddr string) (string, error) {
	var circuit string
	err := poll(ctx, pollInterval, func() error {
		id, err := h.ID(ctx)
		if err != nil {
			return err
		}
		circuit, err = id.Addr(relayAddr + "/p2p-circuit")
		return err
	})
	return circuit, err
}

// waitDirect waits until the host's daemon is connected to peer over an
// address that is not a relay circuit, and returns that address and those
// of all its connections to peer (`peers` lists the remote addresses of
// the open connections).
func (h *Host) waitDirect(ctx context.Context, peer string) (direct string, conns []string, err error) {
	err = poll(ctx, pollInterval, func() error {
		peers, err := h.Peers(ctx)
		if err != nil {
			return err
		}
		for _, p := range peers {
			if p.PeerID != peer {
				continue
			}
			for _, a := range p.Addrs {
				if !strings.Contains(a, "/p2p-circuit") {
					direct, conns = a, p.Addrs
					return nil
				}
			}
			return fmt.Errorf("%s is connected to %s only through a relay (%q)", h.name, peer, p.Addrs)
		}
		return fmt.Errorf("%s is not connected to %s", h.name, peer)
	})
	return direct, conns, err
}
