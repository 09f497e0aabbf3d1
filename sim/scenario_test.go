package sim

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// minimal is the smallest valid scenario; the table tests add one mistake
// to it at a time.
const minimal = `
duration: 2m
nodes: {attendees: 10}
groups: [{name: lobby}]
load: [{rate: 1}]
`

func TestParseFillsDefaults(t *testing.T) {
	sc, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"seed", sc.Seed, int64(1)},
		{"topology.kind", sc.Topology.Kind, TopologyLAN},
		{"topology.peers", sc.Topology.Peers, 8},
		{"link.latency", sc.Link.Latency.D(), 5 * time.Millisecond},
		{"link.bandwidth", sc.Link.Bandwidth, Bandwidth(20e6)},
		{"link.relay_bandwidth", sc.Link.RelayBandwidth, Bandwidth(1e9)},
		{"groups[0].kind", sc.Groups[0].Kind, GroupOpen},
		{"groups[0].members", sc.Groups[0].Members, 1.0},
		{"load[0].group", sc.Load[0].Group, "lobby"},
		{"load[0].size", sc.Load[0].Size, 100},
		{"load[0].start", sc.Load[0].Start.D(), 15 * time.Second},
		{"load[0].stop", sc.Load[0].Stop.D(), 90 * time.Second},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseUnits(t *testing.T) {
	sc, err := Parse([]byte(minimal + "link: {latency: 250us, jitter: 0, bandwidth: 1.5Mbps, relay_bandwidth: 2Gbps}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Link.Latency.D() != 250*time.Microsecond || sc.Link.Bandwidth != 1_500_000 || sc.Link.RelayBandwidth != 2e9 {
		t.Errorf("link = %+v", sc.Link)
	}
}

// TestParseErrors feeds one mistake at a time and checks that the error
// wraps ErrScenario, is one line and names what is wrong.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"empty", "", "the file is empty"},
		{"not yaml", "duration: [", "did not find expected"},
		{"two documents", minimal + "---\nduration: 1m\n", "more than one YAML document"},
		{"unknown field", minimal + "nodez: 3\n", `unknown field "nodez" in the scenario`},
		{"unknown nested field", minimal + "link: {lat: 5ms}\n", `unknown field "lat" in link`},
		{"unknown list field", "duration: 1m\nnodes: {attendees: 3}\ngroups: [{name: a, size: 3}]\n", `unknown field "size" in groups`},
		{"wrong type", "duration: 1m\nnodes: {attendees: many}\ngroups: [{name: a}]\n", `expected a whole number, got "many"`},
		{"map for list", "duration: 1m\nnodes: {attendees: 3}\ngroups: {name: a}\n", "expected a list of groups, got a mapping"},
		{"no duration", "nodes: {attendees: 3}\ngroups: [{name: a}]\n", "duration: required"},
		{"bare number duration", "duration: 5\nnodes: {attendees: 3}\ngroups: [{name: a}]\n", `"5" is not a duration`},
		{"long duration", "duration: 25h\nnodes: {attendees: 3}\ngroups: [{name: a}]\n", "over the limit of 24h"},
		{"bad bandwidth", minimal + "link: {bandwidth: fast}\n", `"fast" is not a bandwidth`},
		{"slow bandwidth", minimal + "link: {bandwidth: 1kbps}\n", "link.bandwidth"},
		{"no attendees", "duration: 1m\nnodes: {relays: 1}\ngroups: [{name: a}]\n", "nodes.attendees: need at least 1"},
		{"bad topology", minimal + "topology: {kind: mesh}\n", `topology.kind: "mesh" is not a topology`},
		{"isolated without relay", minimal + "topology: {kind: isolated}\n", "needs at least one relay"},
		{"rooms unjoined", minimal + "topology: {kind: rooms, rooms: 3, bridges: 0}\n", "rooms need relays or bridges"},
		{"negative bridges", minimal + "topology: {kind: rooms, bridges: -1}\n", "topology.bridges"},
		{"too many rooms", minimal + "topology: {kind: rooms, rooms: 11}\n", "topology.rooms"},
		{"loss", minimal + "link: {loss: 0.9}\n", "link.loss"},
		{"negative latency", minimal + "link: {latency: -1ms}\n", "link.latency"},
		{"no groups", "duration: 1m\nnodes: {attendees: 3}\n", "groups: need at least one group"},
		{"bad channel name", "duration: 1m\nnodes: {attendees: 3}\ngroups: [{name: 'Lobby Two!'}]\n", "groups[0].name"},
		{"duplicate group", "duration: 1m\nnodes: {attendees: 3}\ngroups: [{name: a}, {name: a}]\n", "used twice"},
		{"bad group kind", "duration: 1m\nnodes: {attendees: 3}\ngroups: [{name: a, kind: secret}]\n", "groups[0].kind"},
		{"members share", "duration: 1m\nnodes: {attendees: 3}\ngroups: [{name: a, members: 2}]\n", "groups[0].members"},
		{"load unknown group", "duration: 2m\nnodes: {attendees: 3}\ngroups: [{name: a}]\nload: [{group: nope, rate: 1}]\n", `load[0].group: "nope" is not a group`},
		{"load no rate", "duration: 2m\nnodes: {attendees: 3}\ngroups: [{name: a}]\nload: [{size: 10}]\n", "load[0].rate"},
		{"rate and each", "duration: 2m\nnodes: {attendees: 3}\ngroups: [{name: a}]\nload: [{rate: 1, each: 2}]\n", "give rate or each"},
		{"paced rate", "duration: 2m\nnodes: {attendees: 3}\ngroups: [{name: a}]\nload: [{rate: 1, paced: true}]\n", "load[0].paced"},
		{"over the author rate", "duration: 2m\nnodes: {attendees: 3}\ngroups: [{name: a}]\nload: [{rate: 30}]\n", "per-author limit"},
		{"load window", "duration: 2m\nnodes: {attendees: 3}\ngroups: [{name: a}]\nload: [{rate: 1, start: 1m, stop: 30s}]\n", "load[0]: need 0 <= start < stop"},
		{"big text", "duration: 2m\nnodes: {attendees: 3}\ngroups: [{name: a}]\nload: [{rate: 1, size: 100000}]\n", "load[0].size"},
		{"relay mesh degree", minimal + "node: {relay_mesh_degree: 3}\n", "node.relay_mesh_degree: 3 is under 6, GossipSub's own degree; omit it for the default (4096)"},
		{"node store", minimal + "node: {store: tape}\n", "node.store"},
		{"churn share", minimal + "churn: {share: 0}\n", "churn.share"},
		{"churn means", minimal + "churn: {share: 0.5, mean_offline: 10ms}\n", "at least 1s"},
		{"partition window", minimal + "partitions: [{at: 1m, heal: 30s}]\n", "partitions[0]: need 0 <= at < heal"},
		{"partition overlap", minimal + "partitions: [{at: 10s, heal: 50s}, {at: 40s, heal: 60s}]\n", "partitions[1].at"},
		{"partition share", minimal + "partitions: [{at: 10s, heal: 50s, share: 1}]\n", "partitions[0].share"},
		{"outage relay", minimal + "outages: [{relay: 0, at: 10s, until: 20s}]\n", "outages[0].relay: relay 0 does not exist"},
		{"attacker kind", minimal + "attackers: [{kind: troll}]\n", `attackers[0].kind: "troll"`},
		{"attacker mode", minimal + "attackers: [{kind: spammer, mode: blackhole}]\n", "attackers[0].mode"},
		{"attacker private group", "duration: 2m\nnodes: {attendees: 3}\ngroups: [{name: a, kind: private}]\nattackers: [{kind: sybil}]\n", "attackers[0].group"},
		{"attacker ips", minimal + "attackers: [{kind: sybil, count: 3, ips: 5}]\n", "attackers[0].ips"},
		{"too many nodes", minimal + "attackers: [{kind: sybil, count: 20000}]\n", "20010 nodes with the attackers, over the limit of 20000"},
		{"alert in a channel", minimal + "alerts: [{group: lobby, at: 10s}]\n", "alerts[0].group: \"lobby\" is an open channel"},
		{"alert unknown group", minimal + "alerts: [{group: nope, at: 10s}]\n", "alerts[0].group: \"nope\" is not a group"},
		{"alert after the end", "duration: 2m\nnodes: {attendees: 3}\ngroups: [{name: a, kind: private}]\nalerts: [{group: a, at: 3m}]\n", "alerts[0].at"},
		{"load in an announcement channel", "duration: 2m\nnodes: {attendees: 3}\ngroups: [{name: a, kind: announce}]\nload: [{group: a, rate: 1}]\n", "load[0].group: \"a\" is an announcement channel"},
		{"unknown group kind", "duration: 2m\nnodes: {attendees: 3}\ngroups: [{name: a, kind: secret}]\n", "use open, private or announce"},
		{"alert size", "duration: 2m\nnodes: {attendees: 3}\ngroups: [{name: a, kind: private}]\nalerts: [{group: a, at: 1m, size: 5000}]\n", "alerts[0].size"},
		{"too many attacker entries", minimal + "attackers: [" + strings.Repeat("{kind: spammer}, ", 51) + "]\n", "51 entries, over the limit of 50"},
		{"sync interval", minimal + "node: {sync_interval: 10ms}\n", "node.sync_interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil {
				t.Fatalf("no error; want one saying %q", tc.want)
			}
			if !errors.Is(err, ErrScenario) {
				t.Errorf("error does not wrap ErrScenario: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// TestShippedScenarios checks that every file in scenarios/ is valid and
// that Builtins serves the same set.
func TestShippedScenarios(t *testing.T) {
	files, err := filepath.Glob("scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	var names []string
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		names = append(names, name)
		sc, err := ReadFile(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if sc.Name != name {
			t.Errorf("%s is called %q; name it after its file", f, sc.Name)
		}
		if sc.Description == "" {
			t.Errorf("%s has no description", f)
		}
		if _, err := Builtin(name); err != nil {
			t.Errorf("built-in %s: %v", name, err)
		}
		newPlan(sc, sc.Seed) // must not panic
	}
	slices.Sort(names)
	if got := Builtins(); !slices.Equal(got, names) {
		t.Errorf("Builtins() = %v, want %v", got, names)
	}
	for _, want := range []string{"conference-hall", "churn", "spammer", "sybil", "lan-small", "netlab-lan"} {
		if !slices.Contains(names, want) {
			t.Errorf("scenarios/%s.yaml is missing", want)
		}
	}
	if _, err := Builtin("../scenario"); !errors.Is(err, ErrScenario) {
		t.Errorf("Builtin of a path: %v, want ErrScenario", err)
	}
}

func TestReadFileErrors(t *testing.T) {
	if _, err := ReadFile(filepath.Join(t.TempDir(), "none.yaml")); !errors.Is(err, os.ErrNotExist) || !errors.Is(err, ErrScenario) {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("duration: 1m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(bad); err == nil || !strings.HasPrefix(err.Error(), bad+": ") {
		t.Errorf("bad file: %v, want an error naming the file", err)
	}
}

func TestScaled(t *testing.T) {
	sc, err := Builtin("conference-hall")
	if err != nil {
		t.Fatal(err)
	}
	big, err := sc.Scaled(5)
	if err != nil {
		t.Fatal(err)
	}
	if big.Nodes.Attendees != 1000 || big.Nodes.Relays != sc.Nodes.Relays {
		t.Errorf("scaled nodes = %+v", big.Nodes)
	}
	if sc.Nodes.Attendees != 200 {
		t.Errorf("Scaled changed the original: %+v", sc.Nodes)
	}
	for _, f := range []float64{0, -1, 1000} {
		if _, err := sc.Scaled(f); !errors.Is(err, ErrScenario) {
			t.Errorf("Scaled(%v) = %v, want ErrScenario", f, err)
		}
	}
}

// FuzzParse checks that no input makes Parse panic, that every error wraps
// ErrScenario on one line, and that an accepted scenario can be planned.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("scenarios/*.yaml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(minimal))
	f.Add([]byte(minimal + "topology: {kind: rooms, rooms: 3}\nchurn: {share: 0.5}\npartitions: [{at: 10s, heal: 20s}]\n"))
	f.Add([]byte("duration: &a 1m\nnodes: {attendees: *a}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrScenario) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("bad error: %q", err)
			}
			return
		}
		// Keep planning cheap: the limits allow runs far too big for a fuzz
		// iteration.
		if sc.totalNodes() <= 200 && sc.Duration.D() <= time.Hour {
			newPlan(sc, sc.Seed)
		}
	})
}
