package netlab

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// filter is what a segment's bridge drops. Its rules sit in the bridge
// family's forward hook, in the segment's namespace, so they see every frame
// between two ports and need neither br_netfilter nor conntrack.
type filter struct {
	isolated []string      // ports that may not reach each other
	sides    [][]string    // a partition: ports on different sides may not meet
	blocks   [][2][]string // frames from the first ports to the second are dropped
	loss     int           // percent of all forwarded frames dropped
}

// ruleset renders f as one nft transaction that replaces the segment's
// table atomically (declaring it first makes the delete valid when it does
// not exist yet).
func (f filter) ruleset() string {
	var b strings.Builder
	b.WriteString("table bridge netlab {}\ndelete table bridge netlab\ntable bridge netlab {\n")
	b.WriteString("\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n")
	if len(f.isolated) > 1 {
		set := portSet(f.isolated)
		fmt.Fprintf(&b, "\t\tiifname %s oifname %s counter drop\n", set, set)
	}
	for i, from := range f.sides {
		for j, to := range f.sides {
			if i != j && len(from) > 0 && len(to) > 0 {
				fmt.Fprintf(&b, "\t\tiifname %s oifname %s counter drop\n", portSet(from), portSet(to))
			}
		}
	}
	for _, bl := range f.blocks {
		fmt.Fprintf(&b, "\t\tiifname %s oifname %s counter drop\n", portSet(bl[0]), portSet(bl[1]))
	}
	switch {
	case f.loss >= 100: // numgen's range ends at 99
		b.WriteString("\t\tcounter drop\n")
	case f.loss > 0:
		fmt.Fprintf(&b, "\t\tnumgen random mod 100 < %d counter drop\n", f.loss)
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}

// portSet renders port names as an nft anonymous set.
func portSet(ports []string) string {
	quoted := make([]string, len(ports))
	for i, p := range ports {
		quoted[i] = fmt.Sprintf("%q", p)
	}
	return "{ " + strings.Join(quoted, ", ") + " }"
}

// apply installs f on the segment's bridge.
func (s *Segment) apply(ctx context.Context, f filter) error {
	if err := s.lab.inNS(ctx, s.ns, f.ruleset(), "nft", "-f", "-"); err != nil {
		return fmt.Errorf("segment %s: %w", s.name, err)
	}
	s.filter = f
	s.lab.log.Info("filter", "segment", s.name, "isolated", f.isolated, "sides", f.sides, "loss_percent", f.loss)
	return nil
}

// portsOf returns the bridge ports of hosts, which must be on this segment.
func (s *Segment) portsOf(hosts []*Host) ([]string, error) {
	var ports []string
	for _, h := range hosts {
		if h.seg != s {
			return nil, fmt.Errorf("netlab: host %s is not on segment %s", h.name, s.name)
		}
		ports = append(ports, h.port)
	}
	return ports, nil
}

// Isolate drops every frame between two of hosts, as a Wi-Fi with client
// isolation does; hosts not named (a relay) still reach, and are reached
// by, everyone.
func (s *Segment) Isolate(ctx context.Context, hosts ...*Host) error {
	ports, err := s.portsOf(hosts)
	if err != nil {
		return err
	}
	f := s.filter
	f.isolated = ports
	return s.apply(ctx, f)
}

// Partition splits hosts into sides: frames between hosts on different sides
// are dropped until Heal. A host on no side is left alone.
func (s *Segment) Partition(ctx context.Context, sides ...[]*Host) error {
	f := s.filter
	f.sides = nil
	for _, side := range sides {
		ports, err := s.portsOf(side)
		if err != nil {
			return err
		}
		f.sides = append(f.sides, ports)
	}
	return s.apply(ctx, f)
}

// Block drops every frame between a host of from and a host of to, both
// ways, for the rest of the lab's life; with the same hosts on both sides,
// between any two of them. Blocks add up, and stand beside Isolate,
// Partition and SetLoss.
func (s *Segment) Block(ctx context.Context, from, to []*Host) error {
	a, err := s.portsOf(from)
	if err != nil {
		return err
	}
	b, err := s.portsOf(to)
	if err != nil {
		return err
	}
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	f := s.filter
	f.blocks = append(slices.Clone(f.blocks), [2][]string{a, b}, [2][]string{b, a})
	return s.apply(ctx, f)
}

// Heal lifts the partition.
func (s *Segment) Heal(ctx context.Context) error {
	f := s.filter
	f.sides = nil
	return s.apply(ctx, f)
}

// SetLoss drops percent per cent of all frames the bridge forwards, picked
// at random, in both directions on every port: between two hosts each
// frame crosses the bridge once, so every link loses that share.
func (s *Segment) SetLoss(ctx context.Context, percent int) error {
	if percent < 0 || percent > 100 {
		return fmt.Errorf("netlab: loss of %d%%: want 0 to 100", percent)
	}
	f := s.filter
	f.loss = percent
	return s.apply(ctx, f)
}

// Rules returns the segment's nftables table as nft lists it, with the
// counters of dropped frames: for logs and error messages.
func (s *Segment) Rules(ctx context.Context) (string, error) {
	out, err := s.lab.output(ctx, "", "ip", "netns", "exec", s.ns, "nft", "list", "table", "bridge", "netlab")
	return string(out), err
}

// Dropped returns how many frames the segment's rules have dropped so far:
// proof that a filter was in force, not merely installed.
func (s *Segment) Dropped(ctx context.Context) (int, error) {
	rules, err := s.Rules(ctx)
	if err != nil {
		return 0, err
	}
	return countDropped(rules), nil
}

var counterRE = regexp.MustCompile(`counter packets (\d+) bytes \d+ drop`)

// countDropped sums the packet counters of the drop rules in nft's listing.
func countDropped(listing string) int {
	sum := 0
	for _, m := range counterRE.FindAllStringSubmatch(listing, -1) {
		n, _ := strconv.Atoi(m[1]) // the pattern admits only digits
		sum += n
	}
	return sum
}
