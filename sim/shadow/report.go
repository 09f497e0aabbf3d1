package shadow

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"starling/sim"
	"starling/sim/report"
	"starling/simhost"
)

// ReadManifest reads an export's export.json.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a Shadow export of starling-sim: %w", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.Version != ManifestVersion {
		return nil, fmt.Errorf("%s: version %d, this starling-sim reads %d; export again", filepath.Join(dir, ManifestFile), m.Version, ManifestVersion)
	}
	return &m, nil
}

// Blueprint rebuilds the blueprint an export was written from, and checks
// that it still lays out the same hosts (the simulator's planning has not
// changed since).
func Blueprint(dir string, m *Manifest) (*sim.Blueprint, error) {
	sc, err := sim.ReadFile(filepath.Join(dir, ScenarioFile))
	if err != nil {
		return nil, err
	}
	b, err := sim.NewBlueprint(sc, m.Seed)
	if err != nil {
		return nil, err
	}
	if len(b.Hosts) != len(m.Hosts) {
		return nil, fmt.Errorf("%s lists %d hosts, its scenario plans %d; export again with this starling-sim", dir, len(m.Hosts), len(b.Hosts))
	}
	for i, h := range b.Hosts {
		if h.Name != m.Hosts[i].Name || h.Addr.String() != m.Hosts[i].Addr {
			return nil, fmt.Errorf("%s: host %d is %s at %s, its scenario plans %s at %s; export again with this starling-sim",
				dir, i, m.Hosts[i].Name, m.Hosts[i].Addr, h.Name, h.Addr)
		}
	}
	return b, nil
}

// Run says where a run of an export left its event logs and when its
// scenario's zero was.
type Run struct {
	// Data holds the hosts' logs, Data/hosts/NAME/events.jsonl: Shadow's
	// data directory (DataDir when Shadow ran in the export's directory),
	// or the network lab's.
	Data string
	// Zero is the scenario's zero on the hosts' clocks. Default: what the
	// hosts' start events say (their --script-start), else the manifest's
	// Start, Shadow's.
	Zero time.Time
	// Notes go first on the report's timeline: how the run was made.
	Notes []string
}

// ReadRun reads the event logs of a run of the export in dir and returns
// the simulator's report of that run.
func ReadRun(dir string, run Run) (*report.Report, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	b, err := Blueprint(dir, m)
	if err != nil {
		return nil, err
	}
	logs := make([][]simhost.Event, len(m.Hosts))
	for i, h := range m.Hosts {
		if logs[i], err = readLog(filepath.Join(run.Data, "hosts", h.Name, EventsFile)); err != nil {
			return nil, err
		}
	}
	if run.Zero.IsZero() {
		if run.Zero, err = loggedZero(m, logs); err != nil {
			return nil, err
		}
	}
	o, err := observe(b, m, run.Zero, logs)
	if err != nil {
		return nil, err
	}
	o.Notes = slices.Concat(run.Notes, m.Notes, o.Notes, []string{
		"bytes are libp2p stream bytes (every protocol), without TCP/IP, Noise and yamux framing; the simulator counts UDP payloads, QUIC's included"})
	return b.Report("starling", *o)
}

// loggedZero is the scenario's zero the hosts' start events agree on, or
// the manifest's Start when none says.
func loggedZero(m *Manifest, logs [][]simhost.Event) (time.Time, error) {
	var zero time.Time
	from := ""
	for i, events := range logs {
		for _, e := range events {
			if e.Kind != simhost.EventStart || e.Zero.IsZero() {
				continue
			}
			if !zero.IsZero() && !e.Zero.Equal(zero) {
				return time.Time{}, fmt.Errorf("%s's log starts the scenario at %s, %s's at %s: the logs are not of one run",
					m.Hosts[i].Name, e.Zero, from, zero)
			}
			zero, from = e.Zero, m.Hosts[i].Name
		}
	}
	if zero.IsZero() {
		return m.Start, nil
	}
	return zero, nil
}

func readLog(path string) ([]simhost.Event, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no event log at %s: did the host's process start? (its stdout and stderr are beside that path)", path)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	events, err := simhost.ReadEvents(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return events, nil
}

// observe turns the hosts' event logs into what the blueprint's report
// needs: times after the scenario's zero, planned messages by their IDs.
// A log that contradicts the plan (a host sending a message planned for
// another, another host's peer ID) is an error; what a run merely lacked
// (a host's stats, lost events, failed sends) becomes a note.
func observe(b *sim.Blueprint, m *Manifest, zero time.Time, logs [][]simhost.Event) (*sim.Observed, error) {
	n := len(b.Messages)
	o := &sim.Observed{Sent: make([]time.Duration, n), SendOK: make([]bool, n), Counters: make([]sim.Counters, len(b.Hosts))}
	byID := map[string]int{}
	failed, noStats, noStart := 0, []string{}, []string{}
	for i, events := range logs {
		host := m.Hosts[i]
		started := false
		for _, e := range events {
			switch e.Kind {
			case simhost.EventStart:
				if e.Peer != host.Peer {
					return nil, fmt.Errorf("%s's log says it ran as %s, the export derives %s for it", host.Name, e.Peer, host.Peer)
				}
				started = true
			case simhost.EventSent:
				if *e.Msg >= n || b.Messages[*e.Msg].Sender != i {
					return nil, fmt.Errorf("%s's log says it sent message %d, which the plan does not give it", host.Name, *e.Msg)
				}
				o.Sent[*e.Msg], o.SendOK[*e.Msg] = e.T.Sub(zero), true
				byID[e.ID] = *e.Msg
			case simhost.EventSendFailed:
				failed++
			case simhost.EventLost:
				o.Notes = append(o.Notes, fmt.Sprintf("%s's event log lost stored messages (%s): its deliveries are undercounted", host.Name, e.Error))
			case simhost.EventStats:
				c := e.Stats
				o.Counters[i] = sim.Counters{BytesIn: c.BytesIn, BytesOut: c.BytesOut, Duplicates: c.Duplicates, CatchupBytes: c.CatchupBytes,
					CatchupSessions: c.CatchupSessions, CatchupMessages: c.CatchupMessages, QueueDrops: c.QueueDrops}
			}
		}
		if !started {
			noStart = append(noStart, host.Name)
		}
		if !slices.ContainsFunc(events, func(e simhost.Event) bool { return e.Kind == simhost.EventStats }) {
			noStats = append(noStats, host.Name)
		}
	}
	for i, events := range logs {
		for _, e := range events {
			if e.Kind != simhost.EventStored || e.Origin == "own" {
				continue
			}
			if msg, ok := byID[e.ID]; ok {
				o.Deliveries = append(o.Deliveries, sim.Delivery{Msg: msg, Host: i, At: e.T.Sub(zero), Catchup: e.Origin == "catchup"})
			}
		}
	}
	if len(noStart) > 0 {
		return nil, fmt.Errorf("%s never started (no start event in the event log)", strings.Join(noStart, ", "))
	}
	if failed > 0 {
		o.Notes = append(o.Notes, fmt.Sprintf("%d scripted sends failed (send-failed in the hosts' logs)", failed))
	}
	if len(noStats) > 0 {
		list := strings.Join(noStats[:min(len(noStats), 10)], ", ")
		if len(noStats) > 10 {
			list += fmt.Sprintf(" and %d more", len(noStats)-10)
		}
		o.Notes = append(o.Notes, fmt.Sprintf("no counters from %s (killed rather than stopped?): their bytes count 0", list))
	}
	return o, nil
}
