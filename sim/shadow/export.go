package shadow

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"go.yaml.in/yaml/v3"

	"starling/identity/transportkey"
	"starling/sim"
	"starling/simhost"
)

// The export's files, inside its directory.
const (
	ConfigFile   = "shadow.yaml"
	GraphFile    = "network.gml"
	ScenarioFile = "scenario.yaml"
	ManifestFile = "export.json"
	ScriptsDir   = "scripts"
	// EventsFile is each host's event log, in its working directory.
	EventsFile = "events.jsonl"
	// InvitesDir, in the run's data directory, is where private groups'
	// creators hand their links over to members and relays.
	InvitesDir = "invites"
	// DataDir is Shadow's data directory when it runs in the export's
	// directory; hosts run in DataDir/hosts/NAME.
	DataDir = "shadow.data"
)

// Port is every host's TCP port.
const Port = 4001

// Epoch is when Shadow's simulated clock starts.
var Epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// startAfter is when the processes start in Shadow's time: the scenario's
// zero. stopGrace is how long Shadow runs after SIGTERM, for the processes
// to write their counters and exit.
const (
	startAfter = time.Second
	stopGrace  = 30 * time.Second
)

// ErrUnsupported means the scenario uses something Shadow cannot run; the
// message says what.
var ErrUnsupported = errors.New("cannot export to Shadow")

// Config configures Export. Zero fields take the documented defaults.
type Config struct {
	// Starling is the binary each host runs: a path, or a name Shadow looks
	// up on its PATH. Default "starling".
	Starling string
	// LogLevel is each process's --log-level. Default warn: ten thousand
	// hosts logging at info fill a disk.
	LogLevel string
}

// Manifest is export.json: what ReadRun and the network lab need to know of
// an export beyond Shadow's own files.
type Manifest struct {
	Version  int    `json:"version"`
	Scenario string `json:"scenario"`
	Seed     int64  `json:"seed"`
	// Start is the scenario's zero on the hosts' clocks under Shadow;
	// every --script-start says it.
	Start time.Time      `json:"start"`
	Hosts []ManifestHost `json:"hosts"`
	// Notes say where the export only approximates the scenario.
	Notes []string `json:"notes,omitempty"`
}

// ManifestHost is one host of the export.
type ManifestHost struct {
	Name string `json:"name"`
	Role string `json:"role"`
	Addr string `json:"addr"`
	Peer string `json:"peer"`
}

// ManifestVersion is the Manifest's version.
const ManifestVersion = 1

// Export writes the blueprint as a Shadow simulation into dir, which must
// not exist or be empty, and returns its manifest.
func Export(dir string, b *sim.Blueprint, cfg Config) (*Manifest, error) {
	if cfg.Starling == "" {
		cfg.Starling = "starling"
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "warn"
	}
	notes, err := check(b.Scenario)
	if err != nil {
		return nil, err
	}
	g, err := newGraph(b)
	if err != nil {
		return nil, err
	}
	if err := emptyDir(dir); err != nil {
		return nil, err
	}
	m := &Manifest{Version: ManifestVersion, Scenario: b.Scenario.Name, Seed: b.Seed, Start: Epoch.Add(startAfter), Notes: notes}
	peers := make([]string, len(b.Hosts))
	for i, h := range b.Hosts {
		_, tk, err := transportkey.Derive(h.Name)
		if err != nil {
			return nil, err
		}
		id, err := peer.IDFromPrivateKey(tk)
		if err != nil {
			return nil, err
		}
		peers[i] = id.String()
		m.Hosts = append(m.Hosts, ManifestHost{Name: h.Name, Role: h.Role, Addr: h.Addr.String(), Peer: peers[i]})
	}
	if err := writeScripts(dir, b); err != nil {
		return nil, err
	}
	if err := writeWith(filepath.Join(dir, GraphFile), g.write); err != nil {
		return nil, err
	}
	if err := writeWith(filepath.Join(dir, ConfigFile), func(w io.Writer) error {
		return writeConfig(w, b, g, m, peers, cfg)
	}); err != nil {
		return nil, err
	}
	if err := writeWith(filepath.Join(dir, ScenarioFile), func(w io.Writer) error {
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		sc := *b.Scenario
		sc.Seed = b.Seed
		if err := enc.Encode(&sc); err != nil {
			return err
		}
		return enc.Close()
	}); err != nil {
		return nil, err
	}
	if err := writeWith(filepath.Join(dir, ManifestFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}); err != nil {
		return nil, err
	}
	return m, nil
}

// check refuses what Shadow cannot run and notes what it approximates.
func check(sc *sim.Scenario) (notes []string, err error) {
	refuse := func(what, why string) error {
		return fmt.Errorf("%w: the scenario has %s; %s", ErrUnsupported, what, why)
	}
	switch {
	case len(sc.Attackers) > 0:
		return nil, refuse("attackers", "they are raw pubsub hosts inside the simulator, and Shadow runs only starling processes")
	case sc.Churn != nil:
		return nil, refuse("churn", "Shadow's network is fixed for a run, so hosts cannot go offline and come back")
	case len(sc.Partitions) > 0:
		return nil, refuse("partitions", "Shadow's network is fixed for a run")
	case len(sc.Outages) > 0:
		return nil, refuse("relay outages", "Shadow's network is fixed for a run")
	case len(sc.Alerts) > 0:
		return nil, refuse("alerts", "a host's script sends texts only")
	case slices.ContainsFunc(sc.Groups, func(g sim.Group) bool { return g.Kind == sim.GroupAnnounce }):
		return nil, refuse("announcement channels", "a host creates and joins only open channels and private groups")
	}
	for _, g := range sc.Groups {
		if g.Kind == sim.GroupPrivate && simhost.CheckInviteName(g.Name) != nil {
			return nil, refuse("the private group "+strconv.Quote(g.Name), "its name names the files its invite links are handed over in (1-64 letters, digits, dots, dashes and underscores); rename it to export")
		}
	}
	notes = append(notes, "hosts talk over TCP (as libp2p's GossipSub interop tests run under Shadow); the simulator's nodes use QUIC")
	if sc.Link.Jitter > 0 {
		notes = append(notes, fmt.Sprintf("link jitter %s is left out: Shadow does not implement edge jitter", sc.Link.Jitter.D()))
	}
	if sc.Link.Latency.D() <= 0 {
		notes = append(notes, "link latency 0 became 1 ns: Shadow refuses a latency of 0")
	}
	if sc.Node.RegossipWindow != 0 {
		notes = append(notes, fmt.Sprintf("node.regossip_window %s is left out: the daemon has no flag for it and passes on what catch-up taught it of the last 10 minutes", sc.Node.RegossipWindow.D()))
	}
	if sc.Node.SyncInterval > 0 {
		notes = append(notes, fmt.Sprintf("node.sync_interval %s is left out: the daemon has no flag for it and catches up every minute", sc.Node.SyncInterval.D()))
	}
	if sc.Node.Store == sim.StoreDisk {
		notes = append(notes, "node.store disk is left out: every host keeps its store in memory")
	}
	return notes, nil
}

// emptyDir makes dir, or checks that it is empty.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("%s is not empty; export into a new directory", dir)
	}
	return nil
}

// writeScripts writes each sending host's script.
func writeScripts(dir string, b *sim.Blueprint) error {
	bySender := map[int][]simhost.Send{}
	for _, m := range b.Messages {
		bySender[m.Sender] = append(bySender[m.Sender], simhost.Send{At: m.At, Group: b.Groups[m.Group].Name, Msg: m.Index, Text: m.Text})
	}
	if len(bySender) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(dir, ScriptsDir), 0o755); err != nil {
		return err
	}
	for i, sends := range bySender {
		if err := writeWith(scriptPath(dir, b.Hosts[i].Name), func(w io.Writer) error { return simhost.WriteScript(w, sends) }); err != nil {
			return err
		}
	}
	return nil
}

func scriptPath(dir, host string) string { return filepath.Join(dir, ScriptsDir, host+".jsonl") }

// writeWith creates path and writes it with write.
func writeWith(path string, write func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	if err := write(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// seconds writes a time as whole seconds, as Shadow's stop_time wants,
// rounding up.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%ds", int64(math.Ceil(d.Seconds())))
}
