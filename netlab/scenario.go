package netlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"
)

// ErrRelayUnavailable means the starling binary has no `relay` subcommand,
// which the relay scenarios need.
var ErrRelayUnavailable = errors.New("starling relay not available")

// Scenario is one network situation and what must hold in it.
type Scenario struct {
	// Name is what `netlab NAME` runs.
	Name string
	// Summary says in one line what is built and checked.
	Summary string
	// Timeout bounds the whole run, from the first namespace to the last
	// check (Close comes after it).
	Timeout time.Duration
	// NeedsRelay marks the scenarios that run `starling relay`.
	NeedsRelay bool

	run func(ctx context.Context, l *Lab) error
}

// Scenarios returns every scenario, in the order they are best read and run.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: "lan", Timeout: 45 * time.Second, run: runLAN,
			Summary: "5 hosts on one bridge find each other by mDNS alone and exchange messages"},
		{Name: "partition", Timeout: 60 * time.Second, run: runPartition,
			Summary: "4 hosts split in two halves that talk among themselves; after the split heals all converge"},
		{Name: "lossy", Timeout: 90 * time.Second, run: runLossy,
			Summary: "5 hosts with 20 % random loss on every link: every message arrives everywhere"},
		{Name: "isolated", Timeout: 45 * time.Second, NeedsRelay: true, run: runIsolated,
			Summary: "client-to-client traffic dropped, a relay reachable: every message reaches every client through the relay"},
		{Name: "nat", Timeout: 45 * time.Second, NeedsRelay: true, run: runNAT,
			Summary: "clients behind two NATs reach a relay on the public side and, through it, each other"},
		{Name: "holepunch", Timeout: 60 * time.Second, NeedsRelay: true, run: holePunch(overTCP),
			Summary: "two clients behind NATs meet through a relay, punch a hole over TCP, and talk with the relay gone"},
		{Name: "holepunch-quic", Timeout: 60 * time.Second, NeedsRelay: true, run: holePunch(overQUIC),
			Summary: "the same with QUIC: the clients reach the relay, learn their NATs' addresses and punch over UDP"},
		{Name: "relay-restart", Timeout: 60 * time.Second, NeedsRelay: true, run: runRelayRestart,
			Summary: "the relay is killed and restarted with the same key: clients reconnect; what was sent meanwhile and after arrives"},
	}
}

// Lookup returns the scenario called name.
func Lookup(name string) (Scenario, bool) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Run builds a lab from cfg, runs the scenario within its Timeout and
// closes the lab, whatever happened; a failure to clean up fails the run
// too. A relay scenario returns ErrRelayUnavailable at once when the binary
// lacks `starling relay`.
func (s Scenario) Run(ctx context.Context, cfg Config) error {
	if s.NeedsRelay {
		if err := RelayAvailable(ctx, cfg.Starling); err != nil {
			return err
		}
	}
	return s.inLab(ctx, cfg, s.run)
}

// inLab is Run with run in place of the scenario's own steps.
func (s Scenario) inLab(ctx context.Context, cfg Config, run func(context.Context, *Lab) error) (err error) {
	l, err := New(cfg)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := l.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("clean-up: %w", cerr))
		}
	}()
	runCtx, cancel := context.WithTimeoutCause(ctx, s.Timeout, fmt.Errorf("scenario %s ran out of its %s", s.Name, s.Timeout))
	defer cancel()
	l.log.Info("scenario", "name", s.Name, "summary", s.Summary)
	return run(runCtx, l)
}

// LANSpread runs the lan scenario like Run and returns how its messages
// spread: the figures that its simulator twin, sim/scenarios/netlab-lan.yaml,
// reports too.
func LANSpread(ctx context.Context, cfg Config) (Spread, error) {
	s, _ := Lookup("lan")
	var spread Spread
	err := s.inLab(ctx, cfg, func(ctx context.Context, l *Lab) (err error) {
		spread, err = lanSpread(ctx, l)
		return err
	})
	return spread, err
}

// RelayAvailable checks that `starling relay --help` succeeds.
func RelayAvailable(ctx context.Context, starling string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, starling, "relay", "--help").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: `%s relay --help` failed: %v: %s", ErrRelayUnavailable, starling, err, bytes.TrimSpace(out))
	}
	// Without the subcommand, the root command answers --help itself.
	if !relayUsage.Match(out) {
		return fmt.Errorf("%w: `%s relay --help` printed no usage of `starling relay`", ErrRelayUnavailable, starling)
	}
	return nil
}

var relayUsage = regexp.MustCompile(`(?m)^\s+starling relay\b`)

// BuildStarling builds cmd/starling of the module in the working directory
// into dir and returns the binary's path. It builds without -race: the
// binary runs as separate processes, where the race detector would only
// slow the daemons down.
func BuildStarling(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "starling")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "starling/cmd/starling").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build starling/cmd/starling: %w\n%s", err, out)
	}
	return bin, nil
}
