package sim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written in YAML as Go writes durations: "250ms",
// "1m30s". A bare 0 is allowed; other bare numbers are refused, since
// nobody can tell whether they mean seconds or milliseconds.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration such as 90s or 2m, not a %s", n.Line, kindName(n.Kind))
	}
	s := strings.TrimSpace(n.Value)
	if s == "0" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration; write one such as 250ms, 90s or 2m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Bandwidth is a link rate in bits per second, written in YAML as a number
// with a unit: "20Mbps", "500kbps", "1Gbps" (or "bps").
type Bandwidth int64

var bandwidthUnits = []struct {
	suffix string
	mult   float64
}{{"gbps", 1e9}, {"mbps", 1e6}, {"kbps", 1e3}, {"bps", 1}}

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *Bandwidth) UnmarshalYAML(n *yaml.Node) error {
	bad := fmt.Errorf("line %d: %q is not a bandwidth; write one such as 500kbps, 20Mbps or 1Gbps", n.Line, n.Value)
	if n.Kind != yaml.ScalarNode {
		return bad
	}
	s := strings.ToLower(strings.TrimSpace(n.Value))
	for _, u := range bandwidthUnits {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v*u.mult > math.MaxInt64/2 {
			return bad
		}
		*b = Bandwidth(v * u.mult)
		return nil
	}
	return bad
}

// MarshalYAML implements yaml.Marshaler.
func (b Bandwidth) MarshalYAML() (any, error) { return b.String(), nil }

func (b Bandwidth) String() string {
	switch {
	case b >= 1e9 && b%1e9 == 0:
		return fmt.Sprintf("%dGbps", b/1e9)
	case b >= 1e6 && b%1e6 == 0:
		return fmt.Sprintf("%dMbps", b/1e6)
	case b >= 1e3 && b%1e3 == 0:
		return fmt.Sprintf("%dkbps", b/1e3)
	}
	return fmt.Sprintf("%dbps", int64(b))
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	}
	return "value"
}
