package main

import (
	"errors"
	"fmt"
	"net"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/spf13/cobra"

	"starling/daemon"
	"starling/identity/transportkey"
	"starling/store"
)

// daemonFlags are the flags that `up` and `relay` share.
type daemonFlags struct {
	listen []string
	peers  []string
	relays []string
	noMDNS bool
	api    string
	sim    simFlags
	clock  clockOffsetFlag // hidden, for tests (testclock.go)
}

func (d *daemonFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&d.listen, "listen", nil, "multiaddr to listen on (repeatable; default TCP, QUIC and WebSocket (/tcp/PORT/ws) on all interfaces, random ports)")
	f.StringArrayVar(&d.peers, "peer", nil, "static peer multiaddr ending in /p2p/ID (repeatable); kept connected")
	f.BoolVar(&d.noMDNS, "no-mdns", false, "do not discover peers on the LAN with mDNS")
	f.StringVar(&d.api, "api", "127.0.0.1:0", "address of the local API (a port of 0 picks one and records it in the home)")
	d.sim.add(cmd)
	d.clock.add(cmd)
}

// config builds the daemon's config from the flags and loads the keys.
func (d *daemonFlags) config(cmd *cobra.Command, g *globals) (daemon.Config, error) {
	cfg := daemon.Config{Home: g.home, APIAddr: d.api}
	nc := &cfg.Node
	nc.MDNS, nc.Logger, nc.StoreDir = !d.noMDNS, g.logger, g.home.Store()
	var err error
	if nc.ListenAddrs, err = parseAddrs("--listen", d.listen); err != nil {
		return cfg, err
	}
	if nc.Peers, err = parsePeers("--peer", d.peers); err != nil {
		return cfg, err
	}
	if nc.Relays, err = parsePeers("--relay", d.relays); err != nil {
		return cfg, err
	}
	if _, _, err := net.SplitHostPort(d.api); err != nil {
		return cfg, usageError{fmt.Errorf("--api %q: want HOST:PORT, such as 127.0.0.1:7070", d.api)}
	}
	if cfg.Sim, err = d.sim.config(); err != nil {
		return cfg, err
	}
	if d.sim.memoryStore {
		// The simulator's engine: a copy-on-write tree with no disk, far
		// lighter than Badger's in-memory mode for hundreds of hosts.
		nc.StoreDir, nc.StoreEngine = "", store.EngineMemory
	}
	d.clock.apply(nc)
	// Before the key: a sealed one would ask for its passphrase only to be
	// told that a daemon runs.
	if daemon.Running(cmd.Context(), g.home) {
		return cfg, fmt.Errorf("a daemon is already running for %s; stop it first, or pass another --home", g.home)
	}
	if d.sim.derived() {
		return cfg, d.sim.keys(g, nc)
	}
	if nc.User, err = g.loadUser(); err != nil {
		return cfg, err
	}
	if nc.TransportKey, err = transportkey.LoadOrCreate(g.home.TransportKey()); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func newUp(g *globals) *cobra.Command {
	var (
		d   daemonFlags
		web webFlags
		ph  phoneFlags
	)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run your node until Ctrl-C or SIGTERM",
		Long: `Run your node: it listens for peers, finds them on the LAN with mDNS and at
the --peer addresses, gossips your groups' messages and keeps them, and serves
the local API that the other commands use. With --relay it holds a
reservation on an organiser relay, so that peers that cannot reach it directly
(client-isolated Wi-Fi, NAT) reach it through the relay; invites add their
relays too, and the node remembers them across restarts. With --web it serves
the web UI on 127.0.0.1 (starling open opens it); --web-lan serves it on the
LAN too, for a phone, behind a pairing link.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := web.config()
			if err != nil {
				return err
			}
			phone, err := ph.config()
			if err != nil {
				return err
			}
			cfg, err := d.config(cmd, g)
			if err != nil {
				return err
			}
			cfg.Web = w
			cfg.Phone = phone
			cfg.Join = d.sim.joins
			cfg.Ready = func(s daemon.Started) {
				if s.Web != nil && len(s.Web.LAN) > 0 {
					printPairing(cmd.OutOrStdout(), *s.Web)
				}
			}
			return runDaemon(cmd, g, cfg)
		},
	}
	d.add(cmd)
	d.sim.addJoin(cmd)
	web.add(cmd)
	ph.add(cmd)
	cmd.Flags().StringArrayVar(&d.relays, "relay", nil, "organiser relay multiaddr ending in /p2p/ID (repeatable); reserve a slot on it")
	g.addPassphraseFlag(cmd)
	return cmd
}

// runDaemon runs the daemon until the command's context ends.
func runDaemon(cmd *cobra.Command, g *globals, cfg daemon.Config) error {
	cfg.Out = cmd.OutOrStdout()
	cfg.Logger = g.logger
	err := daemon.Run(cmd.Context(), cfg)
	var le *daemon.ListenError
	switch {
	case errors.Is(err, store.ErrLocked):
		return fmt.Errorf("another starling process is using %s; stop it first, or pass another --home", g.home)
	case errors.Is(err, daemon.ErrRunning):
		return fmt.Errorf("a daemon is already running for %s; stop it first, or pass another --home", g.home)
	case errors.As(err, &le):
		return fmt.Errorf("%w; pass another --%s address", err, le.What)
	}
	return err
}

func parseAddrs(flag string, in []string) ([]ma.Multiaddr, error) {
	var out []ma.Multiaddr
	for _, s := range in {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return nil, usageError{fmt.Errorf("%s %q is not a multiaddr (such as /ip4/0.0.0.0/tcp/4001): %v", flag, s, err)}
		}
		out = append(out, a)
	}
	return out, nil
}

func parsePeers(flag string, in []string) ([]peer.AddrInfo, error) {
	addrs, err := parseAddrs(flag, in)
	if err != nil {
		return nil, err
	}
	var out []peer.AddrInfo
	for i, a := range addrs {
		info, err := peer.AddrInfoFromP2pAddr(a)
		if err != nil {
			return nil, usageError{fmt.Errorf("%s %q must end in /p2p/PEER_ID (see `starling id` on that node)", flag, in[i])}
		}
		out = append(out, *info)
	}
	return out, nil
}
