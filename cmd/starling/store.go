package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"starling/store"
)

func newStore(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Look after this node's store (the node must be stopped)",
		Args:  exactArgs(0, "a subcommand: check"),
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newStoreCheck(g))
	return cmd
}

// checkOutput is what `store check --json` prints.
type checkOutput struct {
	Dir         string         `json:"dir"`
	Keys        int            `json:"keys"`
	Messages    int            `json:"messages"`
	Problems    []problemView  `json:"problems"`
	Total       int            `json:"total_problems"`
	Quarantined int            `json:"quarantined"`
	Repair      *repairView    `json:"repair,omitempty"`
	Disk        storeDiskView  `json:"disk"`
	Quarantine  []quarantineVw `json:"quarantine,omitempty"`
}

type problemView struct {
	Key  string `json:"key"`
	What string `json:"what"`
	Fix  string `json:"fix"`
}

type repairView struct {
	Quarantined int `json:"quarantined"`
	Reindexed   int `json:"reindexed"`
	Left        int `json:"left"`
}

type storeDiskView struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	Free   int64  `json:"free_bytes"`
}

type quarantineVw struct {
	Key    string `json:"key"`
	At     string `json:"at"`
	Reason string `json:"reason"`
	Bytes  int    `json:"bytes"`
}

// maxShown bounds the problems and quarantined records printed for people.
const maxShown = 20

func newStoreCheck(g *globals) *cobra.Command {
	var repair, quick, asJSON, list bool
	cmd := &cobra.Command{
		Use:   "check [--repair] [--quick] [--quarantine] [--json]",
		Short: "Check every record of the store; --repair quarantines what is damaged",
		Long: `Check reads every record of the store in this home: every message decodes and
its signature verifies (--quick skips the signatures), and every index entry,
outbox entry and record agrees with the rest. It prints what is wrong and exits
1 if anything is.

--repair moves each damaged record, with its bytes, into the store's quarantine,
where no read sees it and nothing deletes it, writes missing index entries of
sound messages again, and keeps everything else. A quarantined message comes
back when a peer sends it again. --quarantine lists what is in quarantine.

The node must be stopped: the check opens the store itself.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.home.Check(); err != nil {
				return err
			}
			if c, ok, err := g.daemon(cmd.Context()); err != nil {
				return err
			} else if ok {
				st, err := c.Status(cmd.Context())
				if err != nil {
					return err
				}
				return fmt.Errorf("a node is running for %s (peer %s); stop it (Ctrl-C where it runs, or SIGTERM) and run "+
					"`starling store check` again: the check opens the store itself", g.home, st.PeerID)
			}
			s, err := store.Open(g.home.Store(), store.Config{Logger: g.logger.With("component", "store"), GCInterval: -1, SweepInterval: -1})
			if errors.Is(err, store.ErrLocked) {
				return fmt.Errorf("the store in %s is in use by another process (a node whose API does not answer?); stop it and try again", g.home)
			}
			if err != nil {
				return err
			}
			defer s.Close()
			return runCheck(cmd, s, store.CheckOptions{Signatures: !quick}, repair, list, asJSON)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&repair, "repair", false, "quarantine what is damaged and rebuild missing index entries")
	f.BoolVar(&quick, "quick", false, "skip verifying every signature")
	f.BoolVar(&list, "quarantine", false, "list what is in quarantine")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func runCheck(cmd *cobra.Command, s *store.Store, opts store.CheckOptions, repair, list, asJSON bool) error {
	var (
		found store.Report
		rr    *store.RepairReport
		err   error
	)
	if repair {
		r, rerr := s.Repair(cmd.Context(), opts)
		found, rr, err = r.Found, &r, rerr
	} else {
		found, err = s.Inspect(opts)
	}
	if err != nil {
		if errors.Is(err, store.ErrDiskFull) {
			return fmt.Errorf("the disk is too full to repair the store: %w", err)
		}
		return err
	}
	var q []store.Quarantined
	if list {
		if q, err = s.Quarantine(); err != nil {
			return err
		}
	}
	d := s.Disk()
	out := checkOutput{
		Dir: s.Disk().Dir, Keys: found.Keys, Messages: found.Messages, Total: found.Total,
		Quarantined: found.Quarantined, Problems: []problemView{},
		Disk: storeDiskView{State: d.Label(), Reason: d.Reason(), Free: d.Free},
	}
	for _, p := range found.Problems {
		out.Problems = append(out.Problems, problemView{Key: fmt.Sprintf("%x", p.Key), What: p.What, Fix: p.Fix.String()})
	}
	if rr != nil {
		out.Repair = &repairView{Quarantined: rr.Quarantined, Reindexed: rr.Reindexed, Left: rr.Left.Total}
		out.Quarantined = rr.Left.Quarantined
	}
	for _, e := range q {
		out.Quarantine = append(out.Quarantine, quarantineVw{Key: e.KeyName, At: e.At.UTC().Format("2006-01-02T15:04:05Z"), Reason: e.Reason, Bytes: len(e.Value)})
	}
	if asJSON {
		if err := printJSON(cmd, out); err != nil {
			return err
		}
	} else {
		printCheck(cmd, out)
	}
	switch {
	case rr != nil && rr.Left.Total > 0:
		return fmt.Errorf("%s left that repair does not fix: %w", count(rr.Left.Total, "problem"), rr.Left.Err())
	case rr == nil && found.Total > 0:
		return fmt.Errorf("the store has %s; `starling store check --repair` quarantines what is damaged and keeps the rest",
			count(found.Total, "problem"))
	}
	return nil
}

// count is "1 problem", "2 problems".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func printCheck(cmd *cobra.Command, o checkOutput) {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "store      %s: %d keys, %d messages, %d in quarantine\n", o.Dir, o.Keys, o.Messages, o.Quarantined)
	if o.Disk.State != "ok" {
		fmt.Fprintf(w, "disk       %s: %s\n", o.Disk.State, o.Disk.Reason)
	}
	if o.Total == 0 {
		fmt.Fprintln(w, "problems   none")
	} else {
		fmt.Fprintf(w, "problems   %d\n", o.Total)
		for _, p := range o.Problems[:min(len(o.Problems), maxShown)] {
			fmt.Fprintf(w, "  %-10s %s\n", p.Fix, p.What)
		}
		if o.Total > maxShown {
			fmt.Fprintf(w, "  and %d more (--json lists them all)\n", o.Total-maxShown)
		}
	}
	if r := o.Repair; r != nil {
		fmt.Fprintf(w, "repaired   %s moved into quarantine, %s reindexed; %s left\n",
			count(r.Quarantined, "record"), count(r.Reindexed, "message"), count(r.Left, "problem"))
	}
	if o.Quarantine != nil {
		fmt.Fprintln(w, "quarantine")
		for _, e := range o.Quarantine[:min(len(o.Quarantine), maxShown)] {
			fmt.Fprintf(w, "  %s  %s (%d bytes): %s\n", e.At, e.Key, e.Bytes, e.Reason)
		}
		if len(o.Quarantine) > maxShown {
			fmt.Fprintf(w, "  and %d more (--json lists them all)\n", len(o.Quarantine)-maxShown)
		}
	}
}
