package netlab

import (
	"context"
	"fmt"
	"slices"
)

// The scenarios that need `starling relay`.

// relayFlags are the flags of the relay daemon on h: its fixed address, the
// group it joins and stores, no mDNS.
func relayFlags(h *Host) []string {
	return append(h.ListenFlags(), "--group", group, "--no-mdns")
}

// startRelay initialises h as "relay" and starts `starling relay` on it.
// It returns the daemon and its full TCP multiaddr.
func startRelay(ctx context.Context, h *Host) (*Daemon, string, error) {
	if err := h.Init(ctx, "relay"); err != nil {
		return nil, "", err
	}
	d, err := h.Start(ctx, "relay", relayFlags(h)...)
	if err != nil {
		return nil, "", err
	}
	addr, err := d.TCPAddr()
	if err != nil {
		return nil, "", fmt.Errorf("relay: %w", err)
	}
	return d, addr, nil
}

// startClients prepares the hosts and starts `up --relay RELAY --no-mdns`
// on each.
func startClients(ctx context.Context, hosts []*Host, relay string) ([]*Daemon, error) {
	if err := prepare(ctx, hosts...); err != nil {
		return nil, err
	}
	var daemons []*Daemon
	for _, h := range hosts {
		d, err := h.Start(ctx, "up", append(h.ListenFlags(), "--no-mdns", "--relay", relay)...)
		if err != nil {
			return nil, err
		}
		daemons = append(daemons, d)
	}
	return daemons, nil
}

// relayLAN builds one segment with a relay host and n clients that the
// bridge isolates from each other, starts the relay and the clients, and
// checks the isolation.
func relayLAN(ctx context.Context, l *Lab, n int) (relay *Daemon, clients []*Host, err error) {
	seg, err := l.AddSegment(ctx, "wifi", "10.20.0.0/24")
	if err != nil {
		return nil, nil, err
	}
	relayHost, err := seg.AddHost(ctx, "relay")
	if err != nil {
		return nil, nil, err
	}
	if clients, err = addHosts(ctx, seg, "c", n); err != nil {
		return nil, nil, err
	}
	if err := seg.Isolate(ctx, clients...); err != nil {
		return nil, nil, err
	}
	err = phase(l, "start the relay and the clients", func() error {
		var addr string
		if relay, addr, err = startRelay(ctx, relayHost); err != nil {
			return err
		}
		_, err := startClients(ctx, clients, addr)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	err = phase(l, "check the isolation", func() error {
		if err := mustReach(ctx, clients[0], relayHost); err != nil {
			return err
		}
		return mustNotReach(ctx, clients[0], clients[1])
	})
	return relay, clients, err
}

// runIsolated: four clients that cannot reach each other and one relay they
// all reach; every message reaches every client, and the relay stores them.
func runIsolated(ctx context.Context, l *Lab) error {
	relay, clients, err := relayLAN(ctx, l, 4)
	if err != nil {
		return err
	}
	return phase(l, "every message reaches every client through the relay", func() error {
		ids, err := sendEach(ctx, clients, 2, "isolated")
		if err != nil {
			return err
		}
		return Converge(ctx, group, ids, append(clients, relay.Host())...)
	})
}

// natSites builds the public segment and two sites, a (192.168.1.0/24) and
// b (192.168.2.0/24), each behind a NAT of its own with n hosts (a1, a2...
// and b1, b2...). It returns the NATs and the hosts in site order.
func natSites(ctx context.Context, l *Lab, n int) (public *Segment, nats []*NAT, hosts [][]*Host, err error) {
	if public, err = l.AddSegment(ctx, "public", publicSubnet); err != nil {
		return nil, nil, nil, err
	}
	for _, site := range []struct{ name, subnet string }{{"a", "192.168.1.0/24"}, {"b", "192.168.2.0/24"}} {
		seg, err := l.AddSegment(ctx, "site-"+site.name, site.subnet)
		if err != nil {
			return nil, nil, nil, err
		}
		nat, err := l.AddNAT(ctx, "nat-"+site.name, seg, public)
		if err != nil {
			return nil, nil, nil, err
		}
		h, err := addHosts(ctx, seg, site.name, n)
		if err != nil {
			return nil, nil, nil, err
		}
		nats, hosts = append(nats, nat), append(hosts, h)
	}
	return public, nats, hosts, nil
}

// runNAT: a relay on a public segment, two sites each behind a NAT of its
// own with two clients; every message reaches every client and the relay.
func runNAT(ctx context.Context, l *Lab) error {
	public, _, sites, err := natSites(ctx, l, 2)
	if err != nil {
		return err
	}
	clients := slices.Concat(sites...)
	relayHost, err := public.AddHost(ctx, "relay")
	if err != nil {
		return err
	}
	if err := phase(l, "start the relay and the clients", func() error {
		_, addr, err := startRelay(ctx, relayHost)
		if err != nil {
			return err
		}
		_, err = startClients(ctx, clients, addr)
		return err
	}); err != nil {
		return err
	}
	if err := phase(l, "check the NATs", func() error {
		a1, b1 := clients[0], clients[2]
		if err := mustReach(ctx, a1, relayHost); err != nil {
			return err
		}
		if err := mustNotReach(ctx, relayHost, a1); err != nil {
			return err
		}
		return mustNotReach(ctx, a1, b1)
	}); err != nil {
		return err
	}
	return phase(l, "every message reaches every client across the NATs", func() error {
		ids, err := sendEach(ctx, clients, 2, "nat")
		if err != nil {
			return err
		}
		return Converge(ctx, group, ids, append(clients, relayHost)...)
	})
}

// runRelayRestart: three isolated clients talk through a relay; the relay
// is killed (SIGKILL), a client sends while it is gone, and it is started
// again on the same home and address; the clients reconnect to it, and the
// message sent meanwhile and new ones reach everyone.
func runRelayRestart(ctx context.Context, l *Lab) error {
	relay, clients, err := relayLAN(ctx, l, 3)
	if err != nil {
		return err
	}
	relayHost := relay.Host()
	everyone := append(slices.Clone(clients), relayHost)
	var all []string
	if err := phase(l, "messages flow through the relay", func() error {
		ids, err := sendEach(ctx, clients, 1, "before")
		if err != nil {
			return err
		}
		all = append(all, ids...)
		return Converge(ctx, group, all, everyone...)
	}); err != nil {
		return err
	}
	if err := phase(l, "kill the relay, send, start the relay again", func() error {
		relay.Kill()
		// With nobody to hear it, the message waits in c1's outbox (or
		// store) until the relay is back.
		id, err := clients[0].Send(ctx, group, "while the relay is down")
		if err != nil {
			return err
		}
		all = append(all, id)
		again, err := relayHost.Start(ctx, "relay", relayFlags(relayHost)...)
		if err != nil {
			return err
		}
		if got, want := again.ID().PeerID, relay.ID().PeerID; got != want {
			return fmt.Errorf("the restarted relay has peer ID %s, want %s: its key did not survive the restart", got, want)
		}
		relay = again
		return nil
	}); err != nil {
		return err
	}
	if err := phase(l, "clients reconnect", func() error {
		for _, c := range clients {
			if err := c.WaitPeers(ctx, group, relay.ID().PeerID); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return phase(l, "messages flow again", func() error {
		ids, err := sendEach(ctx, clients, 1, "after")
		if err != nil {
			return err
		}
		all = append(all, ids...)
		return Converge(ctx, group, all, everyone...)
	})
}
