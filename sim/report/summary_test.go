package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func writeSummary(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteSummary(&b, r); err != nil {
		t.Fatalf("WriteSummary: %v", err)
	}
	return b.String()
}

func TestSummaryGolden(t *testing.T) {
	golden(t, "sample.summary", []byte(writeSummary(t, sampleReport())))
	r := sampleReport()
	r.Runs, r.Ratios = r.Runs[:1], nil
	golden(t, "single.summary", []byte(writeSummary(t, r)))
}

func TestSummaryTable(t *testing.T) {
	out := writeSummary(t, sampleReport())
	lines := strings.Split(out, "\n")
	find := func(prefix string) string {
		t.Helper()
		for _, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), prefix) {
				return l
			}
		}
		t.Fatalf("no line starting with %q in\n%s", prefix, out)
		return ""
	}
	// The header names both runs and the ratio and target columns, and the
	// columns line up: every cell starts where its header starts.
	header := find("starling")
	for _, col := range []string{"bare", "ratio", "target"} {
		if !strings.Contains(header, col) {
			t.Errorf("header %q lacks %q", header, col)
		}
	}
	p99 := find("p99   ") // the all-member p99 is the second p99 row
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "p99 ") {
			p99 = l
		}
	}
	col := func(line, cell string) int { return utf8.RuneCountInString(line[:strings.Index(line, cell)]) }
	if col(p99, "≤ 1.10× bare") != col(header, "target") {
		t.Errorf("target cell is not under its header:\n%s\n%s", header, p99)
	}
	if !strings.HasSuffix(p99, "✗") {
		t.Errorf("the failing p99 row does not end in ✗: %q", p99)
	}
	if cpu := find("per delivered message"); !strings.HasSuffix(cpu, "✓") {
		t.Errorf("the passing CPU row does not end in ✓: %q", cpu)
	}
	if !strings.Contains(out, "✗ Missed: latency p99 vs bare") {
		t.Errorf("verdict does not name the missed target:\n%s", out)
	}
	for i, l := range lines {
		if strings.HasSuffix(l, " ") {
			t.Errorf("line %d has trailing spaces: %q", i+1, l)
		}
	}
}

func TestSummaryCleansInput(t *testing.T) {
	r := sampleReport()
	r.Scenario = "evil\x1b[2J\tname\n"
	r.Runs[1].Name = "ba\tre"
	out := writeSummary(t, r)
	if strings.ContainsAny(out, "\x1b\t") {
		t.Errorf("summary passes control characters through:\n%q", out)
	}
	if !strings.Contains(out, `"evil [2J name "`) {
		t.Errorf("scenario name not shown cleaned:\n%s", out)
	}
}

func TestSummaryEmpty(t *testing.T) {
	for name, r := range map[string]*Report{
		"nil":             nil,
		"no runs":         {},
		"empty run":       {Runs: []Run{{}}},
		"empty two runs":  {Runs: []Run{{}, {}}, Ratios: &Ratios{}},
		"zero deliveries": {Runs: []Run{{Name: "starling", Sent: 3, Expected: 30}}},
	} {
		t.Run(name, func(t *testing.T) {
			out := writeSummary(t, r)
			if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
				t.Errorf("summary shows a non-number:\n%s", out)
			}
		})
	}
	if out := writeSummary(t, &Report{}); !strings.Contains(out, "No runs recorded.") {
		t.Errorf("empty report does not say so:\n%s", out)
	}
}
