package report

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

var sampleOut = flag.String("sample", "", "also write the sample report's HTML page to this file, to look at")

// renderHTML writes r as HTML and parses it back.
func renderHTML(t *testing.T, r *Report) (string, *html.Node) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("page does not parse: %v", err)
	}
	return b.String(), doc
}

// all returns the elements of doc with the given tag, in document order.
func all(doc *html.Node, a atom.Atom) []*html.Node {
	var out []*html.Node
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.DataAtom == a {
			out = append(out, n)
		}
	}
	return out
}

// text is the text content of n.
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func TestHTMLSample(t *testing.T) {
	r := sampleReport()
	page, doc := renderHTML(t, r)
	if *sampleOut != "" {
		if err := os.WriteFile(*sampleOut, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if !strings.HasPrefix(page, "<!doctype html>") {
		t.Errorf("page does not start with a doctype")
	}
	if strings.Contains(page, "<?xml") || strings.Contains(page, "NaN") {
		t.Errorf("page contains an XML prolog or NaN")
	}
	if got := len(all(doc, atom.Svg)); got != 4 {
		t.Errorf("page has %d inline SVG charts, want 4", got)
	}
	body := text(doc)
	s := r.Runs[0]
	for _, want := range []string{
		"partition-heal",                       // scenario
		percent(s.DeliveryRatio),               // delivery headline
		duration(s.AllLatency.P99),             // p99 headline
		duration(s.Convergence[0].Took),        // convergence headline
		duration(s.CPUPerMessage),              // CPU headline
		times(r.Ratios.LatencyP99),             // ratio column
		"≤ 1.10× bare",                         // target
		"did not converge",                     // bare's convergence
		"split 60/140 along region",            // event detail
		count(r.Runs[1].Delivered),             // bare's deliveries
		"ranked by share of expected messages", // worst nodes
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page text lacks %q", want)
		}
	}
	// Three of the headline cards pass and the p99 card fails, in this order.
	var grades []string
	for _, d := range all(doc, atom.Div) {
		if c := attr(d, "class"); strings.HasPrefix(c, "card ") {
			grades = append(grades, strings.TrimPrefix(c, "card "))
		}
	}
	if got := strings.Join(grades, " "); got != "pass fail pass pass" {
		t.Errorf("headline cards graded %q, want %q", got, "pass fail pass pass")
	}
	// Each run's worst-nodes table lists 20 nodes.
	if tables := all(doc, atom.Table); len(tables) != 5 {
		t.Errorf("page has %d tables, want 5 (comparison, convergence, timeline, two node tables)", len(tables))
	} else if rows := all(tables[3], atom.Tr); len(rows) != worstNodes+1 {
		t.Errorf("worst-nodes table has %d rows, want %d and a header", len(rows)-1, worstNodes)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// TestHTMLSelfContained checks the page loads nothing: no scripts, no
// stylesheets or images by URL, no external references of any kind.
func TestHTMLSelfContained(t *testing.T) {
	_, doc := renderHTML(t, sampleReport())
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.Script, atom.Link, atom.Iframe, atom.Img, atom.Object, atom.Embed:
			t.Errorf("page has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			switch a.Key {
			case "src", "href", "srcset", "action", "xlink:href":
				t.Errorf("<%s> has %s=%q", n.Data, a.Key, a.Val)
			}
		}
	}
	for _, st := range all(doc, atom.Style) {
		if css := text(st); strings.Contains(css, "url(") || strings.Contains(css, "@import") {
			t.Errorf("inline CSS fetches a resource")
		}
	}
}

// badColor matches a CSS colour in the SVG that is not #rrggbb.
var badColor = regexp.MustCompile(`(fill|stroke):#(?:[^0-9a-fA-F;"]|[0-9a-fA-F]{0,5}[;"]|[0-9a-fA-F]{7})`)

// TestHTMLChartsAreWellFormedSVG checks each inline chart is a well-formed
// XML document by itself: what gonum wrote, minus the prolog.
func TestHTMLChartsAreWellFormedSVG(t *testing.T) {
	r := sampleReport()
	for _, c := range charts(r) {
		if c.SVG == "" {
			t.Errorf("chart %q was not drawn: %s", c.Title, c.Note)
			continue
		}
		svg := string(c.SVG)
		if !strings.HasPrefix(svg, "<svg ") {
			t.Errorf("chart %q does not start with <svg: %.40q", c.Title, svg)
		}
		d := xml.NewDecoder(strings.NewReader(svg))
		paths := 0
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("chart %q is not well-formed XML: %v", c.Title, err)
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "path" {
				paths++
			}
		}
		if bad := badColor.FindString(svg); bad != "" {
			t.Errorf("chart %q has a malformed colour %q", c.Title, bad)
		}
		if paths < 10 {
			t.Errorf("chart %q has %d paths; axes and lines are missing", c.Title, paths)
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	const evil = `<script>alert("x")</script>`
	r := sampleReport()
	r.Scenario = evil
	r.Runs[0].Name = evil
	r.Runs[0].Events = append(r.Runs[0].Events, Event{At: 50 * time.Second, Kind: evil, Detail: evil})
	r.Runs[0].Convergence[0].Event = evil
	r.Runs[0].Nodes[0].Name, r.Runs[0].Nodes[0].Role = evil, evil
	r.Runs[0].Nodes[0].Delivered = 0 // into the worst-nodes table
	page, doc := renderHTML(t, r)
	if n := len(all(doc, atom.Script)); n != 0 {
		t.Errorf("page has %d <script> elements", n)
	}
	if strings.Contains(page, "<script") {
		t.Errorf("page contains an unescaped <script")
	}
	if !strings.Contains(text(doc), evil) {
		t.Errorf("the escaped scenario name does not read back as text")
	}
}

func TestHTMLEmpty(t *testing.T) {
	for name, r := range map[string]*Report{
		"nil":            nil,
		"no runs":        {},
		"empty run":      {Runs: []Run{{}}},
		"empty two runs": {Runs: []Run{{Name: "starling"}, {Name: "bare"}}, Ratios: &Ratios{}},
		"zero deliveries": {Runs: []Run{{Name: "starling", Sent: 5, Expected: 50, CPU: time.Second,
			Nodes: []NodeStats{{Name: "a"}, {Name: "b"}}, Events: []Event{{Kind: "churn"}}}}},
	} {
		t.Run(name, func(t *testing.T) {
			page, doc := renderHTML(t, r)
			if strings.Contains(page, "NaN") || strings.Contains(page, "Inf") {
				t.Errorf("page shows a non-number")
			}
			if len(all(doc, atom.Main)) != 1 {
				t.Errorf("page has no <main>")
			}
		})
	}
}

func TestHTMLManyEvents(t *testing.T) {
	r := sampleReport()
	for i := range 500 {
		r.Runs[0].Events = append(r.Runs[0].Events, Event{At: time.Duration(i) * 100 * time.Millisecond, Kind: "churn"})
	}
	page, _ := renderHTML(t, r)
	if !strings.Contains(page, "and 404 more events") {
		t.Errorf("timeline is not cut at %d rows", maxEventRows)
	}
}
