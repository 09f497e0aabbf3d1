package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"starling/api"
	"starling/apiserver"
	"starling/doctor"
)

func newDoctor(g *globals) *cobra.Command {
	var asJSON, noProbe bool
	cmd := &cobra.Command{
		Use:   "doctor [--json]",
		Short: "Say why no peer is found, and what to do",
		Long: `Look at the node's status and this machine's network, and say in plain
words what keeps it from others, with the facts behind each finding and
what to do: no node running, no network, mDNS blocked on this device or
hearing nobody, client isolation, no relay reachable, this clock far from
the peers', a disk almost full. Before looking, the node dials directly,
once, the peers it reaches only through a relay (--no-probe skips that).
Exits 0 when nothing is wrong, 1 otherwise.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := g.doctorFacts(cmd, !noProbe)
			if err != nil {
				return err
			}
			findings := doctor.Diagnose(f)
			pending := doctor.Pending(f)
			if asJSON {
				if err := printJSON(cmd, doctorReport{Running: f.Status != nil, Findings: nonNil(findings), Pending: pending}); err != nil {
					return err
				}
			} else {
				printFindings(cmd.OutOrStdout(), f, findings, pending)
			}
			if len(findings) > 0 {
				return fmt.Errorf("%s; see above", countFindings(findings))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: running, findings (cause, severity, summary, evidence, advice) and pending")
	cmd.Flags().BoolVar(&noProbe, "no-probe", false, "do not have the node dial the peers it reaches only through a relay")
	return cmd
}

// doctorReport is what `doctor --json` prints.
type doctorReport struct {
	Running  bool          `json:"running"`
	Findings []api.Finding `json:"findings"`
	Pending  string        `json:"pending,omitempty"`
}

func nonNil(fs []api.Finding) []api.Finding {
	if fs == nil {
		return []api.Finding{}
	}
	return fs
}

// doctorFacts gathers what the diagnosis needs: the node's status (after
// its direct probes, when probe), or why there is none and the store's disk
// read directly; and this machine's interfaces.
func (g *globals) doctorFacts(cmd *cobra.Command, probe bool) (doctor.Facts, error) {
	ctx := cmd.Context()
	f := doctor.Facts{Now: time.Now()}
	if ifaces, err := doctor.Interfaces(); err == nil {
		f.Interfaces = ifaces
	} else {
		g.logger.Warn("cannot list this machine's network interfaces; the checks that need them are skipped", "err", err)
	}
	c, ok, err := g.daemon(ctx)
	switch {
	case err != nil:
		f.NoNode = err.Error()
	case !ok:
		f.NoNode = fmt.Sprintf("no node is running for %s", g.home)
	default:
		if probe {
			var apiErr *api.APIError
			if _, err := c.ProbeNetwork(ctx); err != nil && !(errors.As(err, &apiErr) && apiErr.Status == http.StatusNotImplemented) {
				g.logger.Warn("the node could not probe its relayed peers", "err", err)
			}
		}
		st, err := c.Status(ctx)
		if err != nil {
			return f, err
		}
		f.Status = &st
		return f, nil
	}
	// No node: the store's disk, if the home has one.
	if l, err := g.local(false); err == nil {
		h := apiserver.NewStoreHealth(l.Disk(), l.CorruptSkipped())
		l.Close()
		f.Store = &h
	} else {
		f.NoNode += "; " + err.Error()
	}
	return f, nil
}

func countFindings(fs []api.Finding) string {
	problems := 0
	for _, f := range fs {
		if f.Severity == doctor.Problem {
			problems++
		}
	}
	var parts []string
	if problems > 0 {
		parts = append(parts, count(problems, "problem"))
	}
	if w := len(fs) - problems; w > 0 {
		parts = append(parts, count(w, "warning"))
	}
	return strings.Join(parts, " and ") + " found"
}

// printFindings prints the findings for people: each a headline, its
// evidence and its advice, wrapped to 80 columns. Evidence may quote a
// peer's or a relay's words, so everything goes through forTerminal.
func printFindings(out io.Writer, f doctor.Facts, findings []api.Finding, pending string) {
	if len(findings) == 0 {
		st := f.Status
		found := "Nothing wrong found"
		if pending != "" {
			found += " yet"
		}
		fmt.Fprintf(out, "%s: %s connected", found, count(st.Peers, "peer"))
		if n := st.Network; n != nil && n.RelayedPeers > 0 {
			fmt.Fprintf(out, " (%d through a relay)", n.RelayedPeers)
		}
		fmt.Fprintln(out, ".")
	}
	for i, fd := range findings {
		if i > 0 {
			fmt.Fprintln(out)
		}
		label := "PROBLEM"
		if fd.Severity == doctor.Warning {
			label = "WARNING"
		}
		writeWrapped(out, fmt.Sprintf("%-8s ", label), "         ", fd.Summary)
		for _, e := range fd.Evidence {
			writeWrapped(out, "         - ", "           ", e)
		}
		writeWrapped(out, "         → ", "           ", fd.Advice)
	}
	if pending != "" {
		fmt.Fprintln(out)
		writeWrapped(out, "Note: ", "      ", pending)
	}
}

// doctorWidth is the width findings are wrapped to.
const doctorWidth = 80

// writeWrapped writes text after first, wrapping at word boundaries to
// doctorWidth with indent before every further line. A word longer than a
// line (an address, an error) keeps its own line.
func writeWrapped(out io.Writer, first, indent, text string) {
	line := first
	empty := true
	for _, w := range strings.Fields(forTerminal(text, true)) {
		if !empty && len([]rune(line))+1+len([]rune(w)) > doctorWidth {
			fmt.Fprintln(out, line)
			line, empty = indent, true
		}
		if !empty {
			line += " "
		}
		line += w
		empty = false
	}
	fmt.Fprintln(out, line)
}
