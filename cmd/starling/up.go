package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/spf13/cobra"

	"starling/api"
	"starling/apiserver"
	"starling/doctor"
	"starling/identity"
	"starling/node"
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
	f.StringArrayVar(&d.listen, "listen", nil, "multiaddr to listen on (repeatable; default TCP and QUIC on all interfaces, random ports)")
	f.StringArrayVar(&d.peers, "peer", nil, "static peer multiaddr ending in /p2p/ID (repeatable); kept connected")
	f.BoolVar(&d.noMDNS, "no-mdns", false, "do not discover peers on the LAN with mDNS")
	f.StringVar(&d.api, "api", "127.0.0.1:0", "address of the local API (a port of 0 picks one and records it in the home)")
	d.sim.add(cmd)
	d.clock.add(cmd)
}

// config builds the node config from the flags and loads the keys.
func (d *daemonFlags) config(cmd *cobra.Command, g *globals) (node.Config, error) {
	cfg := node.Config{MDNS: !d.noMDNS, Logger: g.logger, StoreDir: g.home.Store()}
	var err error
	if cfg.ListenAddrs, err = parseAddrs("--listen", d.listen); err != nil {
		return cfg, err
	}
	if cfg.Peers, err = parsePeers("--peer", d.peers); err != nil {
		return cfg, err
	}
	if cfg.Relays, err = parsePeers("--relay", d.relays); err != nil {
		return cfg, err
	}
	if _, _, err := net.SplitHostPort(d.api); err != nil {
		return cfg, usageError{fmt.Errorf("--api %q: want HOST:PORT, such as 127.0.0.1:7070", d.api)}
	}
	if err := d.sim.apply(&cfg); err != nil {
		return cfg, err
	}
	d.clock.apply(&cfg)
	// Before the key: a sealed one would ask for its passphrase only to be
	// told that a daemon runs.
	if _, err := dial(cmd.Context(), g.home); err == nil {
		return cfg, fmt.Errorf("a daemon is already running for %s; stop it first, or pass another --home", g.home)
	}
	if d.sim.derived() {
		return cfg, d.sim.keys(g, &cfg)
	}
	if cfg.User, err = g.loadUser(); err != nil {
		return cfg, err
	}
	if cfg.TransportKey, err = identity.LoadOrCreateTransport(g.home.TransportKey()); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func newUp(g *globals) *cobra.Command {
	var (
		d   daemonFlags
		web webFlags
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
			if err := web.check(); err != nil {
				return err
			}
			cfg, err := d.config(cmd, g)
			if err != nil {
				return err
			}
			simStart, simWait := d.sim.starter(g)
			webStart, webWait := web.starter(g)
			err = runDaemon(cmd, g, cfg, d.api, both(simStart, webStart))
			return errors.Join(err, simWait(), webWait())
		},
	}
	d.add(cmd)
	d.sim.addJoin(cmd)
	web.add(cmd)
	cmd.Flags().StringArrayVar(&d.relays, "relay", nil, "organiser relay multiaddr ending in /p2p/ID (repeatable); reserve a slot on it")
	g.addPassphraseFlag(cmd)
	return cmd
}

// runDaemon runs a node and its local API until the command's context ends.
// start, if set, runs once both are up, before the node runs; what it
// starts must end with ctx.
func runDaemon(cmd *cobra.Command, g *globals, cfg node.Config, apiAddr string,
	start func(ctx context.Context, n *node.Node, out io.Writer) error) error {
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	n, err := node.New(cfg)
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("another starling process is using %s; stop it first, or pass another --home", g.home)
	}
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", apiAddr)
	if err != nil {
		n.Close()
		return fmt.Errorf("local API on %s: %w; pass another --api address", apiAddr, err)
	}
	token, err := api.NewToken()
	if err != nil {
		n.Close()
		return err
	}
	srv, err := apiserver.New(apiserver.Config{Backend: n, Token: token, Logger: g.logger.With("component", "api"), Interfaces: doctor.Interfaces})
	if err != nil {
		n.Close()
		return err
	}
	if err := api.Publish(g.home, api.Endpoint{Addr: ln.Addr().String(), PID: os.Getpid(), Started: time.Now()}, token); err != nil {
		n.Close()
		return err
	}
	defer api.Unpublish(g.home)

	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "starling up: %s (%s)\npeer %s\n", cfg.User.Name, cfg.User.Fingerprint().Pretty(), n.PeerID())
	for _, a := range n.Addrs() {
		fmt.Fprintf(out, "listening %s\n", a)
	}
	fmt.Fprintf(out, "api http://%s (home %s)\n", ln.Addr(), g.home)
	if d := n.Disk(); d.State != store.DiskOK {
		fmt.Fprintf(out, "store %s: %s\n", d.Label(), d.Reason())
	}
	if start != nil {
		if err := start(ctx, n, out); err != nil {
			n.Close()
			return err
		}
	}

	apiErr := make(chan error, 1)
	go func() {
		apiErr <- srv.Serve(ctx, ln)
		cancel() // a node nobody can reach is no use
	}()
	runErr := n.Run(ctx)
	if err := <-apiErr; err != nil && runErr == nil {
		runErr = fmt.Errorf("local API: %w", err)
	}
	return runErr
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
