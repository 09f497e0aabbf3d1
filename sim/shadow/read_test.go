package shadow

import (
	"strings"
	"testing"
	"time"
)

// The lab reads back what the export wrote.
func TestReadSimulation(t *testing.T) {
	s, err := ReadSimulation("testdata/golden")
	if err != nil {
		t.Fatal(err)
	}
	if s.StopTime != 41*time.Second || len(s.Hosts) != 4 {
		t.Fatalf("stop %s, %d hosts", s.StopTime, len(s.Hosts))
	}
	r := s.Hosts[0]
	if r.Name != "relay-0" || r.Addr != "10.1.0.1" || r.Node != 1 || r.Path != "/usr/local/bin/starling" ||
		r.Start != time.Second || r.Shutdown != 11*time.Second || r.Args[0] != "relay" || !strings.Contains(strings.Join(r.Args, " "), "--mesh-degree 64") {
		t.Errorf("relay-0: %+v", r)
	}
	if len(s.Graph.Nodes) != 2 || len(s.Graph.Edges) != 3 {
		t.Fatalf("graph: %+v", s.Graph)
	}
	n, ok := s.Graph.Node(0)
	if !ok || n.Up != 20_000_000 || n.Down != 20_000_000 || n.Label != "3 attendees who reach each other" {
		t.Errorf("node 0: %+v", n)
	}
	e, ok := s.Graph.Edge(1, 0)
	if !ok || e.Latency != 5*time.Millisecond || e.Loss != 0.01 {
		t.Errorf("edge 0-1: %+v", e)
	}
}

func TestParseGraphErrors(t *testing.T) {
	for _, tc := range []struct{ name, gml, want string }{
		{"not a graph", "digraph {}", "not a GML graph"},
		{"open string", `graph [ node [ label "x ] ]`, "closing quote"},
		{"bad id", `graph [ node [ id x host_bandwidth_up "1 Mbit" host_bandwidth_down "1 Mbit" ] ]`, `node id "x"`},
		{"bad rate", `graph [ node [ id 0 host_bandwidth_up "fast" host_bandwidth_down "1 Mbit" ] ]`, `"fast" is not a bandwidth`},
		{"bad loss", `graph [ edge [ source 0 target 0 latency "1 ms" packet_loss 2.0 ] ]`, "packet_loss"},
		{"bad latency", `graph [ edge [ source 0 target 0 latency "soon" packet_loss 0.0 ] ]`, `"soon" is not a time`},
		{"unclosed node", `graph [ node [ id 0 ]`, "without its"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseGraph(tc.gml); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}
