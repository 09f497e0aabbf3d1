package shadow

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"starling/sim"
)

var update = flag.Bool("update", false, "rewrite the golden export in testdata/golden")

// goldenScenario exercises every part of the format: a relay and
// attendees, peers, relays, an open and a private group, scripts, loss and
// a note (jitter).
const goldenScenario = `
name: golden
description: a relay and three attendees on a LAN
seed: 5
duration: 10s
nodes: {attendees: 3, relays: 1}
topology: {kind: lan, peers: 2}
link: {latency: 5ms, jitter: 1ms, bandwidth: 20Mbps, relay_bandwidth: 1Gbps, loss: 0.01}
node: {relay_mesh_degree: 64}
groups: [{name: lobby}, {name: crew, kind: private, members: 0.7}]
load:
  - {group: lobby, each: 1, paced: true, size: 30, start: 2s, stop: 5s}
  - {group: crew, each: 1, paced: true, size: 30, start: 6s, stop: 8s}
`

func blueprint(t *testing.T, yml string) *sim.Blueprint {
	t.Helper()
	sc, err := sim.Parse([]byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	b, err := sim.NewBlueprint(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The export's files are the format's documentation by example: any change
// shows in testdata/golden (go test ./sim/shadow -update rewrites it).
func TestExportGolden(t *testing.T) {
	dir := t.TempDir()
	if _, err := Export(dir, blueprint(t, goldenScenario), Config{Starling: "/usr/local/bin/starling"}); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden")
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		os.RemoveAll(golden)
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(golden, f)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(golden, f), got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(filepath.Join(golden, f))
		if err != nil {
			t.Errorf("%s is new (run with -update): %v", f, err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from testdata/golden/%s (run with -update if the change is meant):\n%s", f, f, got)
		}
	}
	want, _ := filepath.Glob(filepath.Join(golden, "*"))
	more, _ := filepath.Glob(filepath.Join(golden, "*", "*"))
	for _, w := range append(want, more...) {
		rel, _ := filepath.Rel(golden, w)
		if st, err := os.Stat(w); err == nil && !st.IsDir() && !slices.Contains(files, rel) {
			t.Errorf("the export no longer writes %s", rel)
		}
	}
}

// shadowConfig is the part of shadow.yaml the tests read back.
type shadowConfig struct {
	General struct {
		StopTime       string `yaml:"stop_time"`
		Seed           int64  `yaml:"seed"`
		UnblockedModel bool   `yaml:"model_unblocked_syscall_latency"`
	} `yaml:"general"`
	Network struct {
		UseShortestPath bool `yaml:"use_shortest_path"`
		Graph           struct {
			Type string `yaml:"type"`
			File struct {
				Path string `yaml:"path"`
			} `yaml:"file"`
		} `yaml:"graph"`
	} `yaml:"network"`
	Hosts map[string]struct {
		NetworkNodeID int    `yaml:"network_node_id"`
		IPAddr        string `yaml:"ip_addr"`
		Processes     []struct {
			Path               string         `yaml:"path"`
			Args               []string       `yaml:"args"`
			StartTime          string         `yaml:"start_time"`
			ShutdownTime       string         `yaml:"shutdown_time"`
			ShutdownSignal     string         `yaml:"shutdown_signal"`
			ExpectedFinalState map[string]int `yaml:"expected_final_state"`
		} `yaml:"processes"`
	} `yaml:"hosts"`
}

func readConfig(t *testing.T, dir string) shadowConfig {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	var c shadowConfig
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("shadow.yaml: %v", err)
	}
	return c
}

// Every host runs one starling process with the flags the plan gives it,
// and the graph has one edge per pair of its nodes and one loop per node.
func TestExportConfig(t *testing.T) {
	dir := t.TempDir()
	b := blueprint(t, goldenScenario)
	m, err := Export(dir, b, Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := readConfig(t, dir)
	if c.General.StopTime != "41s" || c.General.Seed != 5 || c.Network.UseShortestPath || c.Network.Graph.File.Path != GraphFile {
		t.Errorf("general and network: %+v %+v", c.General, c.Network)
	}
	if len(c.Hosts) != 4 || len(m.Hosts) != 4 {
		t.Fatalf("%d hosts in shadow.yaml, %d in the manifest; want 4", len(c.Hosts), len(m.Hosts))
	}
	for i, h := range b.Hosts {
		ch := c.Hosts[h.Name]
		if len(ch.Processes) != 1 || ch.IPAddr != h.Addr.String() || ch.IPAddr != m.Hosts[i].Addr {
			t.Fatalf("host %s: %+v", h.Name, ch)
		}
		p := ch.Processes[0]
		if p.Path != "starling" || p.StartTime != "1s" || p.ShutdownTime != "11s" || p.ShutdownSignal != "SIGTERM" || p.ExpectedFinalState["exited"] != 0 {
			t.Errorf("host %s's process: %+v", h.Name, p)
		}
		args := strings.Join(p.Args, " ")
		for _, want := range []string{"--derive-keys " + h.Name, "--memory-store", "--no-mdns", "--events events.jsonl", "--home .",
			"--listen /ip4/" + h.Addr.String() + "/tcp/4001"} {
			if !strings.Contains(args, want) {
				t.Errorf("host %s's args lack %q: %s", h.Name, want, args)
			}
		}
		if h.Role == sim.RoleRelay {
			if p.Args[0] != "relay" || !strings.Contains(args, "--group lobby") || !strings.Contains(args, "--mesh-degree 64") ||
				!strings.Contains(args, "--carry-invite crew --invites ../../invites") {
				t.Errorf("relay's args: %s", args)
			}
			continue
		}
		crew := b.Groups[1]
		switch {
		case crew.Owner == i && !strings.Contains(args, "--create-private crew --invites ../../invites"):
			t.Errorf("crew's owner %s does not create it: %s", h.Name, args)
		case crew.Owner != i && slices.Contains(crew.Members, i) && !strings.Contains(args, "--join-invite crew --invites ../../invites"):
			t.Errorf("crew's member %s does not join it: %s", h.Name, args)
		case !slices.Contains(crew.Members, i) && strings.Contains(args, "crew"):
			t.Errorf("%s is not in crew but its args name it: %s", h.Name, args)
		}
		if p.Args[0] != "up" || !strings.Contains(args, "--join lobby") ||
			!strings.Contains(args, "--relay /ip4/"+b.Hosts[0].Addr.String()+"/tcp/4001/p2p/"+m.Hosts[0].Peer) {
			t.Errorf("attendee %s's args: %s", h.Name, args)
		}
		for _, j := range h.Peers {
			if !strings.Contains(args, "--peer /ip4/"+b.Hosts[j].Addr.String()+"/tcp/4001/p2p/"+m.Hosts[j].Peer) {
				t.Errorf("attendee %s does not dial its planned peer %s: %s", h.Name, b.Hosts[j].Name, args)
			}
		}
		if !strings.Contains(args, "--script ../../../scripts/"+h.Name+".jsonl --script-start 2000-01-01T00:00:01Z") {
			t.Errorf("attendee %s's script: %s", h.Name, args)
		}
	}
}

func TestExportRefuses(t *testing.T) {
	base := "name: x\nduration: 2m\nnodes: {attendees: 4, relays: 1}\ngroups: [{name: lobby}]\n"
	for _, tc := range []struct {
		name, extra, want string
	}{
		{"attackers", "attackers: [{kind: spammer}]\n", "attackers"},
		{"churn", "churn: {share: 0.5}\n", "churn"},
		{"partition", "partitions: [{at: 10s, heal: 20s}]\n", "partitions"},
		{"outage", "outages: [{relay: 0, at: 10s, until: 20s}]\n", "relay outages"},
		{"private group", "", `private group "my crew"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yml := base + tc.extra
			if tc.name == "private group" {
				yml = strings.Replace(yml, "[{name: lobby}]", `[{name: lobby}, {name: "my crew", kind: private}]`, 1)
			}
			dir := filepath.Join(t.TempDir(), "out")
			_, err := Export(dir, blueprint(t, yml), Config{})
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrUnsupported naming %q", err, tc.want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused export left %s behind", dir)
			}
		})
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(dir, blueprint(t, goldenScenario), Config{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("export into a non-empty directory: %v", err)
	}
}

// The scenario written beside the export reads back as the same plan.
func TestExportScenarioRoundTrip(t *testing.T) {
	dir := t.TempDir()
	b := blueprint(t, goldenScenario)
	m, err := Export(dir, b, Config{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Blueprint(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Messages) != len(b.Messages) {
		t.Fatalf("%d messages, want %d", len(again.Messages), len(b.Messages))
	}
	for i := range b.Messages {
		if again.Messages[i] != b.Messages[i] {
			t.Errorf("message %d: %+v, want %+v", i, again.Messages[i], b.Messages[i])
		}
	}
}
