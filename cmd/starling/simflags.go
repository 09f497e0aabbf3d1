package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"starling/daemon"
	"starling/identity/transportkey"
	"starling/node"
	"starling/simhost"
)

// simFlags are the daemon's flags for simulations that run real starling
// processes over a simulated network (Shadow, or the network lab; see
// package simhost and `starling-sim shadow`): keys every host can compute
// in advance, a store that leaves nothing behind, a scripted load and an
// event log the simulator's report reads. `up` and `relay` take them.
type simFlags struct {
	deriveKeys  string
	memoryStore bool
	script      string
	scriptStart string
	events      string
	joins       []string // `up` only: --join
	// Private groups handed over through files in invites (see simhost):
	// created here (up), joined by invite (up), carried (relay).
	invites                           string
	createPrivates, joinInvite, carry []string
}

func (s *simFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.deriveKeys, "derive-keys", "", "for simulations: derive the user key (named `NAME`) and transport key from NAME instead of the home's keys; anyone who knows NAME holds them")
	f.BoolVar(&s.memoryStore, "memory-store", false, "keep the store in memory: everything is lost when the node stops")
	f.StringVar(&s.script, "script", "", "for simulations: send the messages of this script `FILE` (JSON lines of at, group, msg, text) at their times")
	f.StringVar(&s.scriptStart, "script-start", "", "the `TIME` (RFC 3339) that the script's times count from (default: when the node starts)")
	f.StringVar(&s.events, "events", "", "for simulations: append what the node sends and stores, and its counters as it stops, to `FILE` as JSON lines")
	f.StringVar(&s.invites, "invites", "", "for simulations: the `DIR` where private groups' invite links are handed over (see --create-private)")
}

// addJoin adds --join, which only `up` takes (`relay` has --group), and
// the attendee's side of private groups handed over in --invites.
func (s *simFlags) addJoin(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&s.joins, "join", nil, "join this channel name or invite link at start (repeatable), as `starling join` would")
	f.StringArrayVar(&s.createPrivates, "create-private", nil, "for simulations: create the private group `NAME` at start and write its invite and carrier links to --invites DIR (repeatable)")
	f.StringArrayVar(&s.joinInvite, "join-invite", nil, "for simulations: wait at start for the invite link of the private group `NAME` in --invites DIR, and join it (repeatable)")
}

// addCarry adds the relay's side of private groups handed over in
// --invites.
func (s *simFlags) addCarry(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&s.carry, "carry-invite", nil, "for simulations: wait at start for the carrier link of the private group `NAME` in --invites DIR, and carry it (repeatable)")
}

// derived reports whether the keys come from --derive-keys.
func (s *simFlags) derived() bool { return s.deriveKeys != "" }

// keys derives the keys of --derive-keys and makes sure the home exists:
// the API's endpoint goes there, though no key does.
func (s *simFlags) keys(g *globals, cfg *node.Config) error {
	var err error
	if cfg.User, cfg.TransportKey, err = transportkey.Derive(s.deriveKeys); err != nil {
		return usageError{fmt.Errorf("--derive-keys: %w", err)}
	}
	if err := os.MkdirAll(string(g.home), 0o700); err != nil {
		return fmt.Errorf("home for the API's endpoint: %w", err)
	}
	return nil
}

// config checks the flags and reads the script: the daemon's part in a
// simulation, or nil when no flag asks for one.
func (s *simFlags) config() (*daemon.Sim, error) {
	for _, names := range [][]string{s.createPrivates, s.joinInvite, s.carry} {
		for _, name := range names {
			if err := simhost.CheckInviteName(name); err != nil {
				return nil, usageError{err}
			}
			if s.invites == "" {
				return nil, usageError{fmt.Errorf("private group %q: give --invites DIR, where its links are handed over", name)}
			}
		}
	}
	sim := &daemon.Sim{
		ScriptName: s.script, Events: s.events, Invites: s.invites,
		CreatePrivate: s.createPrivates, JoinInvite: s.joinInvite, Carry: s.carry,
	}
	if s.scriptStart != "" {
		t, err := time.Parse(time.RFC3339Nano, s.scriptStart)
		if err != nil {
			return nil, usageError{fmt.Errorf("--script-start %q: want an RFC 3339 time such as 2000-01-01T00:00:01Z", s.scriptStart)}
		}
		sim.Start = t
	}
	if s.script != "" {
		f, err := os.Open(s.script)
		if err != nil {
			return nil, usageError{fmt.Errorf("--script: %w", err)}
		}
		sim.Script, err = simhost.ReadScript(f)
		f.Close()
		if err != nil {
			return nil, usageError{fmt.Errorf("--script %s: %w", s.script, err)}
		}
	}
	if sim.Script == nil && sim.Events == "" && len(sim.CreatePrivate)+len(sim.JoinInvite)+len(sim.Carry) == 0 {
		return nil, nil
	}
	return sim, nil
}
