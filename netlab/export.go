package netlab

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"starling/simhost"
)

// maxLabRate is the fastest link the lab shapes; a veth pair is faster
// than this already.
const maxLabRate = 1_000_000_000

// Export is a Shadow export (`starling-sim shadow export`) as the lab runs
// it: cmd/netlab reads it from the export's shadow.yaml and network graph.
type Export struct {
	// Hosts are the export's hosts, each with its one process.
	Hosts []ExportHost
	// Nodes are the network graph's nodes, Links its edges.
	Nodes []ExportNode
	Links []ExportLink
	// Duration is the scenario's, from its zero to the processes' SIGTERM.
	Duration time.Duration
}

// ExportHost is one host: its address, its graph node and its process's
// arguments (without the binary).
type ExportHost struct {
	Name string
	Addr netip.Addr
	Node int
	Args []string
}

// ExportNode is a graph node: the bandwidth of each of its hosts, bits per
// second each way.
type ExportNode struct {
	ID       int
	Up, Down int64
}

// ExportLink is a graph edge, both ways, between nodes A and B (the same
// node for its own hosts).
type ExportLink struct {
	A, B    int
	Latency time.Duration
	Loss    float64
}

// ExportRun is what a run of an export tells besides its hosts' event logs.
type ExportRun struct {
	// Zero is the scenario's zero on the hosts' clocks: their
	// --script-start.
	Zero time.Time
	// Notes say what the lab did not reproduce.
	Notes []string
	// Took is the run's wall time, from the first namespace to the last.
	Took time.Duration
}

// RunExport runs the hosts of an export as real starling processes in a lab
// built from cfg, as Shadow would run them, each in data/hosts/NAME (data
// must not exist yet), where it writes its event log.
//
// Each host sits at its exported address on one segment. Where the graph
// drops every packet between two of its nodes (client isolation, rooms),
// the segment's bridge drops their hosts' frames; the graph's loss is the
// segment's, in whole per cent; each host's bandwidth below 1 Gbit/s is
// shaped with tc. Latency is not added: this kernel has no netem, so a
// scenario run this way should have a LAN's latency (a veth bridge adds
// about 35 us). Each process runs with its exported arguments in
// data/hosts/NAME, as under Shadow, with two differences: the lab's starling
// binary, and --script-start moved to a moment after every host has
// started, which is the scenario's zero. At the scenario's end every
// process gets SIGTERM and must exit 0, as Shadow's expected_final_state
// says. The lab is closed on every path.
func RunExport(ctx context.Context, cfg Config, e Export, data string) (run ExportRun, err error) {
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		return run, fmt.Errorf("netlab: %s exists; give the run a new data directory", data)
	}
	began := time.Now()
	l, err := New(cfg)
	if err != nil {
		return run, err
	}
	defer func() {
		if cerr := l.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("clean-up: %w", cerr))
		}
		run.Took = time.Since(began)
	}()
	hosts, notes, err := buildExport(ctx, l, e)
	if err != nil {
		return run, err
	}
	run.Notes = notes
	run.Zero, err = runExport(ctx, l, e, hosts, data)
	return run, err
}

// buildExport makes the segment, the hosts and the filters the graph
// implies, and returns the hosts in the simulation's order with notes on
// what the lab does not reproduce.
func buildExport(ctx context.Context, l *Lab, e Export) ([]*Host, []string, error) {
	var addrs []netip.Addr
	for _, h := range e.Hosts {
		if !h.Addr.Is4() {
			return nil, nil, fmt.Errorf("netlab: host %s: address %s is not IPv4", h.Name, h.Addr)
		}
		addrs = append(addrs, h.Addr)
	}
	if len(addrs) == 0 {
		return nil, nil, errors.New("netlab: the export has no hosts")
	}
	subnet, err := covering(addrs)
	if err != nil {
		return nil, nil, err
	}
	seg, err := l.AddSegment(ctx, "net", subnet.String())
	if err != nil {
		return nil, nil, err
	}
	hosts := make([]*Host, len(e.Hosts))
	byNode := map[int][]*Host{}
	for i, h := range e.Hosts {
		if hosts[i], err = seg.AddHostAt(ctx, h.Name, addrs[i]); err != nil {
			return nil, nil, err
		}
		byNode[h.Node] = append(byNode[h.Node], hosts[i])
	}
	var notes []string
	loss, latency := -1.0, time.Duration(0)
	nodes := slices.Sorted(maps.Keys(byNode))
	for i, a := range nodes {
		for _, c := range nodes[i:] {
			k := slices.IndexFunc(e.Links, func(k ExportLink) bool { return (k.A == a && k.B == c) || (k.A == c && k.B == a) })
			if k < 0 {
				return nil, nil, fmt.Errorf("netlab: the graph has no edge between nodes %d and %d", a, c)
			}
			link := e.Links[k]
			latency = max(latency, link.Latency)
			if link.Loss >= 1 {
				if err := seg.Block(ctx, byNode[a], byNode[c]); err != nil {
					return nil, nil, err
				}
				continue
			}
			if loss >= 0 && link.Loss != loss {
				return nil, nil, fmt.Errorf("netlab: the graph loses %g on one edge and %g on another; the lab loses one share on the whole segment", loss, link.Loss)
			}
			loss = link.Loss
		}
		k := slices.IndexFunc(e.Nodes, func(n ExportNode) bool { return n.ID == a })
		n, ok := ExportNode{}, k >= 0
		if ok {
			n = e.Nodes[k]
		}
		if !ok {
			return nil, nil, fmt.Errorf("netlab: the graph has no node %d", a)
		}
		if n.Up < maxLabRate || n.Down < maxLabRate {
			for _, h := range byNode[a] {
				if err := h.SetRate(ctx, rateBelow(n.Up), rateBelow(n.Down)); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	if loss > 0 {
		percent := int(math.Round(100 * loss))
		if float64(percent) != 100*loss {
			notes = append(notes, fmt.Sprintf("the graph's loss %g became %d %% (the lab drops whole per cents)", loss, percent))
		}
		if err := seg.SetLoss(ctx, percent); err != nil {
			return nil, nil, err
		}
	}
	if latency > time.Millisecond {
		notes = append(notes, fmt.Sprintf("the lab adds no latency (this kernel has no netem): the graph's %s is not reproduced", latency))
	}
	return hosts, notes, nil
}

func rateBelow(bps int64) int64 {
	if bps >= maxLabRate {
		return 0
	}
	return bps
}

// covering returns the smallest subnet of /8 to /24 that holds addrs.
func covering(addrs []netip.Addr) (netip.Prefix, error) {
	for bits := 24; bits >= 8; bits-- {
		p, err := addrs[0].Prefix(bits)
		if err != nil {
			return netip.Prefix{}, err
		}
		if !slices.ContainsFunc(addrs, func(a netip.Addr) bool { return !p.Contains(a) }) {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("netlab: the hosts' addresses span more than a /8; the lab puts them on one segment")
}

// runExport starts every host's process in data/hosts/NAME, waits until
// each has written its start event, lets the scenario run from its zero to
// its end and stops them all. It returns the scenario's zero.
func runExport(ctx context.Context, l *Lab, e Export, hosts []*Host, data string) (time.Time, error) {
	// The scenario's zero: far enough ahead for every host to start on a
	// busy two-CPU machine.
	margin := 5*time.Second + time.Duration(len(hosts))*500*time.Millisecond
	zero := time.Now().Add(margin)
	for _, h := range e.Hosts {
		if argValue(h.Args, "--events") == "" {
			return time.Time{}, fmt.Errorf("netlab: host %s writes no event log (--events FILE), which the lab waits on and reads", h.Name)
		}
	}
	daemons := make([]*Daemon, len(hosts))
	for i, h := range e.Hosts {
		dir := filepath.Join(data, "hosts", h.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return zero, fmt.Errorf("netlab: %w", err)
		}
		var err error
		if daemons[i], err = hosts[i].Exec(dir, withScriptStart(h.Args, zero)...); err != nil {
			return zero, err
		}
	}
	err := phase(l, "every host starts", func() error {
		startCtx, cancel := context.WithDeadline(ctx, zero)
		defer cancel()
		for i, h := range e.Hosts {
			events := filepath.Join(data, "hosts", h.Name, argValue(h.Args, "--events"))
			err := poll(startCtx, 200*time.Millisecond, func() error {
				if daemons[i].Exited() {
					return permanent(fmt.Errorf("%s: starling exited at start (%s); its log %s ends:\n%s",
						h.Name, daemons[i].cmd.ProcessState, daemons[i].Log(), logTail(daemons[i].Log(), 20)))
				}
				return started(events)
			})
			if err != nil {
				return fmt.Errorf("%s did not start within %s, the margin before the scenario's zero: %w", h.Name, margin, err)
			}
		}
		return nil
	})
	if err != nil {
		return zero, err
	}
	err = phase(l, fmt.Sprintf("run the scenario's %s", e.Duration), func() error {
		if err := sleep(ctx, time.Until(zero.Add(e.Duration))); err != nil {
			return err
		}
		for i, d := range daemons {
			if d.Exited() {
				return fmt.Errorf("%s's starling stopped before the scenario's end (%s); its log %s ends:\n%s",
					e.Hosts[i].Name, d.cmd.ProcessState, d.Log(), logTail(d.Log(), 20))
			}
		}
		return nil
	})
	if err != nil {
		return zero, err
	}
	return zero, phase(l, "stop every host", func() error { return stopAll(daemons, l.cfg.StopTimeout) })
}

// withScriptStart returns args with --script-start's value replaced by t.
func withScriptStart(args []string, t time.Time) []string {
	out := slices.Clone(args)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == "--script-start" {
			out[i+1] = t.UTC().Format(time.RFC3339Nano)
		}
	}
	return out
}

// argValue returns the value of flag in args, or "".
func argValue(args []string, flag string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			return args[i+1]
		}
	}
	return ""
}

// started checks that an event log holds its start event.
func started(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("no event log yet: %w", err)
	}
	defer f.Close()
	events, err := simhost.ReadEvents(f)
	if err != nil {
		return permanent(err)
	}
	if !slices.ContainsFunc(events, func(e simhost.Event) bool { return e.Kind == simhost.EventStart }) {
		return errors.New("no start event yet")
	}
	return nil
}
