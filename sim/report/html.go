package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"cls":  Status.class,
	"mark": Status.mark,
	// span is the column count of the comparison table.
	"span": func(runs int, compare bool) int {
		if compare {
			return runs + 4
		}
		return runs + 3
	},
}).Parse(pageHTML))

// maxEventRows and worstNodes bound the page's tables; a long churn scenario
// would otherwise bury the rest of the page.
const (
	maxEventRows = 100
	worstNodes   = 20
)

// page is what the template shows; every string in it is escaped by
// html/template except the charts, which drawSVG builds from escaped text.
type page struct {
	Scenario, Seed, Nodes, SimDuration, Wall string
	Verdict                                  string
	VerdictStatus                            Status
	Cards                                    []card
	Runs                                     []runHead
	Compare                                  bool
	Rows                                     []row
	Charts                                   []chart
	Convergence                              []convergenceRow
	Events                                   []eventRow
	MoreEvents                               int
	NodeTables                               []nodeTable
}

// runHead names a run's column and its colour on the charts.
type runHead struct{ Name, Color string }

// card is one big number of the headline row.
type card struct {
	Label, Value, Detail, Target string
	Status                       Status
}

type convergenceRow struct {
	Run, Event, At, Took string
	Status               Status
}

type eventRow struct {
	At, Kind, Detail, Color string
}

type nodeTable struct {
	Run, Ranked string
	Total       int
	Rows        []nodeRow
}

type nodeRow struct {
	Name, Role, Delivered, Share, BytesIn, BytesOut, Duplicates, Catchup string
	Low                                                                  bool
}

// WriteHTML writes r as one self-contained HTML page: inline CSS and inline
// SVG charts, no scripts, no fonts or anything else from the network. The
// page opens with the headline figures graded against the targets, then the
// run comparison, the charts, convergence, the event timeline and the nodes
// with the lowest delivery.
func WriteHTML(w io.Writer, r *Report) error {
	if r == nil {
		r = &Report{}
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, buildPage(r)); err != nil {
		return fmt.Errorf("render report html: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write report html: %w", err)
	}
	return nil
}

func buildPage(r *Report) page {
	checks := Checks(r)
	p := page{
		Scenario:    r.Scenario,
		Seed:        fmt.Sprint(r.Seed),
		Nodes:       count(r.Nodes),
		SimDuration: duration(r.SimDuration),
		Wall:        duration(r.Wall),
		Cards:       cards(r, checks),
		Compare:     len(r.Runs) >= 2,
		Charts:      charts(r),
	}
	p.Verdict, p.VerdictStatus = verdict(checks)
	for i := range r.Runs {
		p.Runs = append(p.Runs, runHead{runName(r, i), hex(runColor(i))})
	}
	if len(r.Runs) > 0 {
		p.Rows = rows(r)
	}
	for i, run := range r.Runs {
		for _, c := range run.Convergence {
			cr := convergenceRow{Run: p.Runs[i].Name, Event: c.Event, At: duration(c.At), Took: duration(c.Took), Status: StatusPass}
			if !c.Converged {
				cr.Took, cr.Status = "did not converge", StatusFail
			}
			p.Convergence = append(p.Convergence, cr)
		}
		p.NodeTables = append(p.NodeTables, worstNodeTable(p.Runs[i].Name, run.Nodes))
	}
	if len(r.Runs) > 0 {
		events := r.Runs[0].Events
		for _, e := range events[:min(len(events), maxEventRows)] {
			p.Events = append(p.Events, eventRow{At: duration(e.At), Kind: e.Kind, Detail: e.Detail, Color: hex(eventColor(e.Kind))})
		}
		p.MoreEvents = max(0, len(events)-maxEventRows)
	}
	return p
}

// cards builds the headline row: delivery, all-member p99, convergence after
// heal and CPU per message, each coloured by its check.
func cards(r *Report, checks []Check) []card {
	var s Run
	if len(r.Runs) > 0 {
		s = r.Runs[0]
	}
	delivery := card{Label: "Delivery ratio", Value: checks[checkDelivery].Value,
		Detail: count(s.Delivered) + " of " + count(s.Expected) + " expected deliveries",
		Target: "target " + checks[checkDelivery].Target, Status: checks[checkDelivery].Status}

	latency := card{Label: "Latency p99, every member", Value: "—", Status: checks[checkLatency].Status}
	if s.AllLatency.Count > 0 || s.AllLatency.P99 > 0 {
		latency.Value = duration(s.AllLatency.P99)
		latency.Detail = "p50 " + duration(s.AllLatency.P50) + " · p95 " + duration(s.AllLatency.P95)
	}
	cpu := card{Label: "CPU per delivered message", Value: "—", Status: checks[checkCPU].Status}
	if s.CPUPerMessage > 0 || s.Delivered > 0 {
		cpu.Value = duration(s.CPUPerMessage)
		cpu.Detail = duration(s.CPU) + " CPU in total"
	}
	latency.Target = versusBare(checks[checkLatency], len(r.Runs) >= 2)
	cpu.Target = versusBare(checks[checkCPU], len(r.Runs) >= 2)

	conv := card{Label: "Convergence after heal", Value: "—", Detail: "no heal in this scenario", Status: checks[checkConvergence].Status}
	if worst, failed, n := worstConvergence(s.Convergence); n > 0 {
		conv.Value, conv.Detail = duration(worst), fmt.Sprintf("worst of %d", n)
		if failed > 0 {
			conv.Value, conv.Detail = fmt.Sprintf("%d of %d", failed, n), "did not converge"
		}
		conv.Target = "target: " + checks[checkConvergence].Target
	}
	return []card{delivery, latency, conv, cpu}
}

// versusBare is a card's line about a ratio check.
func versusBare(c Check, haveBare bool) string {
	switch {
	case c.Status != StatusNone:
		return c.Value + " bare · target " + c.Target
	case haveBare:
		return "bare measured 0: no ratio"
	}
	return "no bare run to compare with"
}

// worstNodeTable lists the nodes with the lowest delivery: by share of their
// expected messages when the run reports it, else by count.
func worstNodeTable(run string, nodes []NodeStats) nodeTable {
	byShare := slices.ContainsFunc(nodes, func(n NodeStats) bool { return n.Expected > 0 })
	share := func(n NodeStats) float64 { return ratio(float64(n.Delivered), float64(n.Expected)) }
	s := slices.Clone(nodes)
	slices.SortStableFunc(s, func(a, b NodeStats) int {
		if byShare {
			if c := cmpFloat(share(a), share(b)); c != 0 {
				return c
			}
		}
		if c := cmpFloat(float64(a.Delivered), float64(b.Delivered)); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	t := nodeTable{Run: run, Total: len(nodes), Ranked: "messages delivered"}
	if byShare {
		t.Ranked = "share of expected messages delivered"
	}
	for _, n := range s[:min(len(s), worstNodes)] {
		nr := nodeRow{Name: n.Name, Role: n.Role, Delivered: count(n.Delivered), Share: "—",
			BytesIn: byteSize(float64(n.BytesIn)), BytesOut: byteSize(float64(n.BytesOut)),
			Duplicates: count(n.Duplicates), Catchup: byteSize(float64(n.CatchupBytes))}
		if n.Expected > 0 {
			nr.Share = percent(share(n))
			nr.Low = share(n) < TargetDeliveryRatio
		}
		t.Rows = append(t.Rows, nr)
	}
	return t
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
