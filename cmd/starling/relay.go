package main

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"starling/daemon"
	"starling/peering"
	"starling/relay"
)

func newRelay(g *globals) *cobra.Command {
	var (
		d       daemonFlags
		groups  []string
		acl     string
		metrics string
		degree  int
		ph      phoneFlags
	)
	cmd := &cobra.Command{
		Use:   "relay",
		Short: "Run an organiser relay until Ctrl-C or SIGTERM",
		Long: `Run an organiser relay: a node with a stable identity that attendees reach
when they cannot reach each other (client-isolated Wi-Fi, NAT). It runs a
circuit relay v2 service set up for gossip (no time or data limit on relayed
connections), joins the event's groups (--group: a channel name or an invite
link; a relay given a carrier link keeps a private group's ciphertext without
being able to read it) and keeps their history for late joiners.

In each group the relay forwards every message at once to up to
--mesh-degree attendees (default 4096), and to the rest by gossip; above twice
that it prunes its mesh and hands the attendees it prunes peer records of
others. On client-isolated Wi-Fi it is the only path between attendees: keep
the degree at least its attendees per group, or run more relays.

With --acl invite, only peers that present a ticket from a current invite to
one of the relay's groups get a reservation or a circuit. --metrics serves
Prometheus metrics at http://ADDR/metrics.

With --phone HOST:PORT the relay serves the phone page there (attendees open
it from the door poster's QR code and run Starling in the browser, nothing to
install) and the WebSocket their browsers connect to, and writes the door
poster (phone-poster.png and .svg in its home, A4) for its first --group.
--tls-cert and --tls-key serve it over https and wss, with a service worker.

Put the relay's address in invites with starling invite GROUP --relay ADDR,
or give it to attendees' starling up --relay ADDR.

Like up, a relay needs a home with a key: run starling init --name NAME
(with the same --home) first.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			mode, err := relay.ParseMode(acl)
			if err != nil {
				return usageError{fmt.Errorf("--acl: %w", err)}
			}
			if degree < 6 {
				return usageError{fmt.Errorf("--mesh-degree %d: want at least 6 (GossipSub's own degree)", degree)}
			}
			if metrics != "" {
				if _, _, err := net.SplitHostPort(metrics); err != nil {
					return usageError{fmt.Errorf("--metrics %q: want HOST:PORT, such as 127.0.0.1:9464", metrics)}
				}
			}
			phone, err := ph.config()
			if err != nil {
				return err
			}
			cfg, err := d.config(cmd, g)
			if err != nil {
				return err
			}
			cfg.Phone = phone
			cfg.Relay = &daemon.Relay{ACL: mode, MeshDegree: degree, Metrics: metrics}
			cfg.Join = groups
			return runDaemon(cmd, g, cfg)
		},
	}
	d.add(cmd)
	d.sim.addCarry(cmd)
	ph.add(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&groups, "group", nil, "group to carry: a channel name or an invite link (repeatable)")
	f.StringVar(&acl, "acl", "open", "who may reserve a slot: open, or invite (a ticket from a current invite)")
	f.StringVar(&metrics, "metrics", "", "serve Prometheus metrics on HOST:PORT")
	f.IntVar(&degree, "mesh-degree", peering.DefaultMeshDegree, "attendees per group that get each message from the relay at once")
	g.addPassphraseFlag(cmd)
	return cmd
}
