package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/spf13/cobra"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/node"
	"starling/store"
)

// demoNode is one of the demo's in-process nodes.
type demoNode struct {
	name   string
	n      *node.Node
	events <-chan store.Stored
	done   chan error
}

func newDemo(g *globals) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run three real nodes in this process on 127.0.0.1 and show a scripted exchange",
		Long: `Runs alice, bob and carol as three real Starling nodes in this process,
connected in a line over TCP on 127.0.0.1 (alice - bob - carol; no mDNS), joins
them to the open channel "lobby", and has each send a message. It checks that
every node ends with every message, signed and byte for byte, and exits 0.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return runDemo(ctx, cmd.OutOrStdout(), g.logger)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "give up after this long")
	return cmd
}

func runDemo(ctx context.Context, out io.Writer, logger *slog.Logger) error {
	runCtx, stop := context.WithCancel(context.Background())
	var nodes []*demoNode
	defer func() {
		stop()
		for _, d := range nodes {
			<-d.done
		}
	}()

	var prev []ma.Multiaddr
	for _, name := range []string{"alice", "bob", "carol"} {
		d, err := startDemoNode(runCtx, name, prev, logger)
		if err != nil {
			return err
		}
		nodes = append(nodes, d)
		prev = d.n.Addrs()
		fmt.Fprintf(out, "%-5s  fingerprint %s  peer %s\n", name, d.n.User().Fingerprint().Pretty(), d.n.ID())
	}
	for _, d := range nodes {
		if _, err := d.n.Join(ctx, "lobby"); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "all three joined #lobby; waiting for the gossip mesh (alice - bob - carol)")
	lobby, _, _ := group.OpenChannelID("lobby")
	if err := waitFor(ctx, func() bool {
		// GossipSub relays only along its mesh: bob must have grafted both.
		return len(nodes[0].n.MeshPeers(lobby)) > 0 && len(nodes[1].n.MeshPeers(lobby)) > 1 && len(nodes[2].n.MeshPeers(lobby)) > 0
	}); err != nil {
		return fmt.Errorf("the nodes did not find each other: %w", err)
	}

	script := []struct {
		from int
		text string
	}{
		{0, "hello from alice 👋"},
		{1, "hi alice, bob here; carol is one hop further"},
		{2, "carol: got both of you, via bob. e\u0301 and zero\u200bwidth survive intact"},
	}
	var sent []message.ID
	for _, line := range script {
		from := nodes[line.from]
		start := time.Now()
		m, peers, err := from.n.Send(ctx, "lobby", line.text)
		if err != nil {
			return fmt.Errorf("%s could not send: %w", from.name, err)
		}
		sent = append(sent, m.ID)
		fmt.Fprintf(out, "\n%s -> #lobby: %s\n  signed %s, handed to %d peer(s)\n", from.name, line.text, m.ID.Short(), peers)
		for _, d := range nodes {
			if d == from {
				continue
			}
			got, err := d.await(ctx, m.ID)
			if err != nil {
				return fmt.Errorf("%s never received %s's message: %w", d.name, from.name, err)
			}
			t, _ := got.Msg.Text()
			if t.Text != line.text {
				return fmt.Errorf("%s received different text", d.name)
			}
			fmt.Fprintf(out, "  %-5s received it after %s, signature checked, text identical\n", d.name, time.Since(start).Round(100*time.Microsecond))
		}
	}

	for _, d := range nodes {
		_, page, err := d.n.History("lobby", store.Query{Limit: 100})
		if err != nil {
			return err
		}
		if len(page.Messages) != len(sent) {
			return fmt.Errorf("%s holds %d messages, want %d", d.name, len(page.Messages), len(sent))
		}
		for _, id := range sent {
			if _, err := d.n.Store().Get(id); err != nil {
				return fmt.Errorf("%s is missing %s: %w", d.name, id.Short(), err)
			}
		}
	}
	fmt.Fprintf(out, "\nevery node holds all %d messages of #lobby. demo ok\n", len(sent))
	return nil
}

func startDemoNode(ctx context.Context, name string, peers []ma.Multiaddr, logger *slog.Logger) (*demoNode, error) {
	user, err := identity.NewUser(name)
	if err != nil {
		return nil, err
	}
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, err
	}
	cfg := node.Config{
		User:              user,
		TransportKey:      key,
		ListenAddrs:       []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")},
		DisableKnownPeers: true,
		Logger:            logger.With("node", name),
	}
	if len(peers) > 0 {
		info, err := peer.AddrInfoFromP2pAddr(peers[0])
		if err != nil {
			return nil, err
		}
		cfg.Peers = []peer.AddrInfo{*info}
	}
	n, err := node.New(cfg)
	if err != nil {
		return nil, err
	}
	d := &demoNode{name: name, n: n, done: make(chan error, 1)}
	d.events, _ = n.Subscribe(ctx)
	go func() { d.done <- n.Run(ctx) }()
	return d, nil
}

// await waits until the node has stored the message with the given ID.
func (d *demoNode) await(ctx context.Context, id message.ID) (store.Stored, error) {
	if s, err := d.n.Store().Get(id); err == nil {
		return s, nil
	}
	for {
		select {
		case <-ctx.Done():
			return store.Stored{}, ctx.Err()
		case s, ok := <-d.events:
			if !ok {
				return store.Stored{}, errors.New("node stopped")
			}
			if s.Msg.ID == id {
				return s, nil
			}
		}
	}
}

func waitFor(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
