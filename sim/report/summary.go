package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteSummary writes r as a table for a terminal: a header line, the
// figures of each run side by side with Starling over bare and the targets
// (✓ or ✗), and a verdict line. Strings from the caller are stripped of
// control characters, so a scenario name cannot move the cursor.
func WriteSummary(w io.Writer, r *Report) error {
	if r == nil {
		r = &Report{}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Scenario %s · seed %d · %s nodes · %s simulated in %s\n",
		strconv.Quote(clean(r.Scenario)), r.Seed, count(r.Nodes), duration(r.SimDuration), duration(r.Wall))
	if len(r.Runs) > 0 {
		if t := timeline(r.Runs[0].Events); t != "" {
			fmt.Fprintf(&b, "Timeline: %s\n", t)
		}
	}
	b.WriteByte('\n')
	if len(r.Runs) == 0 {
		b.WriteString("No runs recorded.\n")
	} else {
		writeTable(&b, r)
		if text, status := verdict(Checks(r)); text != "" {
			fmt.Fprintf(&b, "\n%s %s\n", status.mark(), text)
		}
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write report summary: %w", err)
	}
	return nil
}

func writeTable(b *bytes.Buffer, r *Report) {
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 3, ' ', 0)
	compare := len(r.Runs) >= 2
	cells := []string{""}
	for i := range r.Runs {
		cells = append(cells, runName(r, i))
	}
	if compare {
		cells = append(cells, "ratio")
	}
	cells = append(cells, "target", "")
	width := len(cells)
	line(tw, cells)
	for _, rw := range rows(r) {
		if rw.Section != "" {
			line(tw, append([]string{rw.Section}, make([]string, width-1)...))
		}
		cells = append([]string{"  " + rw.Label}, rw.Values...)
		if compare {
			cells = append(cells, rw.Ratio)
		}
		cells = append(cells, rw.Target, rw.Status.mark())
		line(tw, cells)
	}
	tw.Flush() // writes to a bytes.Buffer, which does not fail
	// tabwriter pads the empty trailing cells; drop that padding.
	for l := range strings.Lines(table.String()) {
		b.WriteString(strings.TrimRight(l, " \n") + "\n")
	}
}

// line writes one row. Every row has the same number of tab-terminated
// cells, so that tabwriter aligns the whole table as one block.
func line(w io.Writer, cells []string) {
	io.WriteString(w, strings.Join(cells, "\t")+"\t\n")
}

// runName is the column heading of Runs[i].
func runName(r *Report, i int) string {
	if n := clean(r.Runs[i].Name); strings.TrimSpace(n) != "" {
		return n
	}
	return fmt.Sprintf("run %d", i+1)
}

// verdict sums up the checks in one sentence, naming every missed target;
// it is empty when no check applies.
func verdict(checks []Check) (string, Status) {
	var missed []string
	passed := 0
	for _, c := range checks {
		switch c.Status {
		case StatusFail:
			missed = append(missed, fmt.Sprintf("%s %s (target %s)", c.Name, c.Value, c.Target))
		case StatusPass:
			passed++
		}
	}
	switch {
	case len(missed) > 0:
		return "Missed: " + strings.Join(missed, "; "), StatusFail
	case passed == 1:
		return "The one applicable target is met.", StatusPass
	case passed > 0:
		return fmt.Sprintf("All %d applicable targets met.", passed), StatusPass
	}
	return "", StatusNone
}

// timeline counts the events by kind in order of first appearance:
// "partition ×1, heal ×1, churn ×12".
func timeline(events []Event) string {
	var kinds []string
	n := map[string]int{}
	for _, e := range events {
		k := clean(e.Kind)
		if n[k] == 0 {
			kinds = append(kinds, k)
		}
		n[k]++
	}
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, n[k]))
	}
	return strings.Join(parts, ", ")
}
