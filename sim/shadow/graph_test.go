package shadow

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"starling/sim"
)

// The graph keeps every pair's reach, with as few nodes as the topology
// allows.
func TestGraphKeepsReach(t *testing.T) {
	for _, tc := range []struct {
		name, topology string
		relays         int
		classes        int
	}{
		{"lan", "{kind: lan}", 0, 1},
		{"lan and relays", "{kind: lan}", 2, 2},
		{"isolated", "{kind: isolated}", 2, 2},
		// Three rooms, the bridges of rooms 0-1 and of rooms 1-2, relays.
		{"rooms", "{kind: rooms, rooms: 3, bridges: 2}", 1, 6},
		{"rooms without bridges", "{kind: rooms, rooms: 2, bridges: 0}", 1, 3},
		// Every attendee has neighbours of its own: one node each.
		{"random", "{kind: random, degree: 4}", 1, 31},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := blueprint(t, fmt.Sprintf("duration: 1m\nnodes: {attendees: 30, relays: %d}\ntopology: %s\ngroups: [{name: lobby}]\n", tc.relays, tc.topology))
			g, err := newGraph(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(g.classes) != tc.classes {
				t.Errorf("%d graph nodes, want %d", len(g.classes), tc.classes)
			}
			for i := range b.Hosts {
				for j := range b.Hosts {
					if i == j {
						continue
					}
					if got, want := g.reach(g.classOf[i], g.classOf[j]), b.Linked(i, j); got != want {
						t.Fatalf("%s and %s: graph reach %v, topology %v", b.Hosts[i].Name, b.Hosts[j].Name, got, want)
					}
				}
				if b.Hosts[g.classes[g.classOf[i]].members[0]].Role != b.Hosts[i].Role {
					t.Fatalf("%s shares a graph node with a host of another role", b.Hosts[i].Name)
				}
			}
			var buf bytes.Buffer
			if err := g.write(&buf); err != nil {
				t.Fatal(err)
			}
			k := len(g.classes)
			if n, e := strings.Count(buf.String(), "  node ["), strings.Count(buf.String(), "  edge ["); n != k || e != k*(k+1)/2 {
				t.Errorf("GML has %d nodes and %d edges, want %d and %d (complete, with loops)", n, e, k, k*(k+1)/2)
			}
		})
	}
}

func TestGraphTooLarge(t *testing.T) {
	b := blueprint(t, fmt.Sprintf("duration: 1m\nnodes: {attendees: %d}\ntopology: {kind: random}\ngroups: [{name: lobby}]\n", MaxGraphNodes+1))
	if _, err := newGraph(b); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "random topology") {
		t.Errorf("err = %v, want ErrUnsupported for the random topology", err)
	}
}

func TestUnits(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{bandwidth(20_000_000), "20 Mbit"},
		{bandwidth(1_000_000_000), "1 Gbit"},
		{bandwidth(500_000), "500 Kbit"},
		{bandwidth(1_013), "1008 bit"}, // rounded down to a multiple of 8
		{bandwidth(3), "8 bit"},
		{latency(5 * time.Millisecond), "5 ms"},
		{latency(35 * time.Microsecond), "35 us"},
		{latency(1500 * time.Nanosecond), "1500 ns"},
		{latency(0), "1 ns"},
		{lossText(0), "0.0"},
		{lossText(1), "1.0"},
		{lossText(0.025), "0.025"},
		{seconds(10*time.Second + time.Millisecond), "11s"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// The shipped scenarios either export or say why not.
func TestExportBuiltins(t *testing.T) {
	for _, name := range sim.Builtins() {
		t.Run(name, func(t *testing.T) {
			sc, err := sim.Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			b, err := sim.NewBlueprint(sc, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Export(t.TempDir(), b, Config{})
			refused := map[string]string{"churn": "churn", "conference-hall": "partitions", "spammer": "attackers", "sybil": "attackers"}
			want, ok := refused[name]
			switch {
			case ok && (!errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), want)):
				t.Errorf("err = %v, want ErrUnsupported naming %s", err, want)
			case !ok && err != nil:
				t.Errorf("err = %v, want an export", err)
			}
		})
	}
}
