package shadow

import (
	"fmt"
	"io"
	"path"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"starling/sim"
)

// writeConfig writes shadow.yaml: hosts in the plan's order, relays first,
// each with its one starling process.
func writeConfig(w io.Writer, b *sim.Blueprint, g *graph, m *Manifest, peers []string, cfg Config) error {
	shutdown := startAfter + b.Scenario.Duration.D()
	root := mapping(
		"general", mapping(
			"stop_time", scalar(seconds(shutdown+stopGrace)),
			"seed", scalar(strconv.FormatInt(b.Seed, 10)),
			// Go's runtime spins in places; without a cost for the
			// syscalls it spins on, simulated time would not move.
			"model_unblocked_syscall_latency", scalar("true"),
		),
		"network", mapping(
			"use_shortest_path", scalar("false"),
			"graph", mapping("type", scalar("gml"), "file", mapping("path", scalar(GraphFile))),
		),
	)
	var hosts []any
	for i, h := range b.Hosts {
		args := hostArgs(b, i, m, peers, cfg)
		list := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, a := range args {
			// Tagged, so that a number such as a mesh degree stays a string.
			list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: a})
		}
		proc := mapping(
			"path", scalar(cfg.Starling),
			"args", list,
			"start_time", scalar(seconds(startAfter)),
			"shutdown_time", scalar(seconds(shutdown)),
			"shutdown_signal", scalar("SIGTERM"),
			"expected_final_state", mapping("exited", scalar("0")),
		)
		hosts = append(hosts, h.Name, mapping(
			"network_node_id", scalar(strconv.Itoa(g.classOf[i])),
			"ip_addr", scalar(h.Addr.String()),
			"processes", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{proc}},
		))
	}
	root.Content = append(root.Content, mapping("hosts", mapping(hosts...)).Content...)
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root},
		HeadComment: fmt.Sprintf("Shadow simulation of the Starling scenario %s (seed %d), written by `starling-sim shadow export`.\n"+
			"Run it from this directory: shadow shadow.yaml. Read its report: starling-sim shadow report DIR.",
			b.Scenario.Name, b.Seed)}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return enc.Close()
}

// hostArgs are host i's starling arguments.
func hostArgs(b *sim.Blueprint, i int, m *Manifest, peers []string, cfg Config) []string {
	h := b.Hosts[i]
	sub := "up"
	if h.Role == sim.RoleRelay {
		sub = "relay"
	}
	args := []string{sub, "--home", ".", "--log-level", cfg.LogLevel,
		"--derive-keys", h.Name, "--memory-store", "--no-mdns",
		"--listen", fmt.Sprintf("/ip4/%s/tcp/%d", h.Addr, Port)}
	addr := func(j int) string { return fmt.Sprintf("/ip4/%s/tcp/%d/p2p/%s", b.Hosts[j].Addr, Port, peers[j]) }
	for _, j := range h.Peers {
		args = append(args, "--peer", addr(j))
	}
	for _, j := range h.Relays {
		args = append(args, "--relay", addr(j))
	}
	if d := b.Scenario.Node.RelayMeshDegree; d > 0 && h.Role == sim.RoleRelay {
		args = append(args, "--mesh-degree", strconv.Itoa(d))
	}
	private := false
	for _, gi := range h.Groups {
		g := b.Groups[gi]
		switch {
		case g.Kind != sim.GroupPrivate && h.Role == sim.RoleRelay:
			args = append(args, "--group", g.Name)
		case g.Kind != sim.GroupPrivate:
			args = append(args, "--join", g.Name)
		case h.Role == sim.RoleRelay:
			args = append(args, "--carry-invite", g.Name)
		case g.Owner == i:
			args = append(args, "--create-private", g.Name)
		default:
			args = append(args, "--join-invite", g.Name)
		}
		private = private || g.Kind == sim.GroupPrivate
	}
	if private {
		// Inside the run's data directory, so that every run starts
		// without the links of the one before.
		args = append(args, "--invites", path.Join("..", "..", InvitesDir))
	}
	for _, msg := range b.Messages {
		if msg.Sender == i {
			args = append(args, "--script", path.Join("..", "..", "..", ScriptsDir, h.Name+".jsonl"),
				"--script-start", m.Start.Format(time.RFC3339Nano))
			break
		}
	}
	return append(args, "--events", EventsFile)
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

// mapping builds a YAML mapping from keys (strings) and values (strings or
// nodes), in order.
func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i < len(kv); i += 2 {
		n.Content = append(n.Content, scalar(kv[i].(string)))
		switch v := kv[i+1].(type) {
		case *yaml.Node:
			n.Content = append(n.Content, v)
		case string:
			n.Content = append(n.Content, scalar(v))
		}
	}
	return n
}
