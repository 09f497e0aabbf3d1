package report

import (
	"testing"
	"time"
)

func TestChecks(t *testing.T) {
	ok := Run{Expected: 100, Delivered: 99, DeliveryRatio: 0.99,
		Convergence: []Convergence{{Event: "heal", Took: 2 * time.Second, Converged: true}}}
	tests := []struct {
		name string
		r    *Report
		want [4]Status // delivery, latency, cpu, convergence
	}{
		{"nil", nil, [4]Status{}},
		{"no runs", &Report{}, [4]Status{}},
		{"nothing expected", &Report{Runs: []Run{{}}}, [4]Status{}},
		{"at targets", &Report{Runs: []Run{ok, {}}, Ratios: &Ratios{LatencyP99: 1.1, CPUPerMessage: 1.2}},
			[4]Status{StatusPass, StatusPass, StatusPass, StatusPass}},
		{"over targets", &Report{Runs: []Run{{Expected: 100, Delivered: 98, DeliveryRatio: 0.98}, {}},
			Ratios: &Ratios{LatencyP99: 1.11, CPUPerMessage: 1.21}},
			[4]Status{StatusFail, StatusFail, StatusFail, StatusNone}},
		{"bare figures zero", &Report{Runs: []Run{ok, {}}, Ratios: &Ratios{}},
			[4]Status{StatusPass, StatusNone, StatusNone, StatusPass}},
		{"ratios computed from runs", &Report{Runs: []Run{
			{Expected: 1, DeliveryRatio: 1, AllLatency: Latency{P99: 300}, CPUPerMessage: 100},
			{DeliveryRatio: 1, AllLatency: Latency{P99: 100}, CPUPerMessage: 100}}},
			[4]Status{StatusPass, StatusFail, StatusPass, StatusNone}},
		{"heal not converged", &Report{Runs: []Run{{Expected: 1, DeliveryRatio: 1, Convergence: []Convergence{
			{Event: "heal", Took: time.Second, Converged: true}, {Event: "heal", Converged: false}}}}},
			[4]Status{StatusPass, StatusNone, StatusNone, StatusFail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := Checks(tt.r)
			if len(cs) != 4 {
				t.Fatalf("got %d checks, want 4", len(cs))
			}
			var got [4]Status
			fail := false
			for i, c := range cs {
				got[i] = c.Status
				fail = fail || c.Status == StatusFail
			}
			if got != tt.want {
				t.Errorf("statuses = %v, want %v (checks %+v)", got, tt.want, cs)
			}
			if tt.r != nil && tt.r.Passed() == fail {
				t.Errorf("Passed() = %v with statuses %v", tt.r.Passed(), got)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{duration(0), "0"},
		{duration(850 * time.Nanosecond), "850 ns"},
		{duration(12345 * time.Nanosecond), "12.3 µs"},
		{duration(1500 * time.Microsecond), "1.5 ms"},
		{duration(812 * time.Millisecond), "812 ms"},
		{duration(1250 * time.Millisecond), "1.25 s"},
		{duration(-2 * time.Second), "-2 s"},
		{duration(90 * time.Second), "1m30s"},
		{duration(5 * time.Minute), "5m"},
		{duration(2 * time.Hour), "2h"},
		{byteSize(999), "999 B"},
		{byteSize(1500), "1.5 kB"},
		{byteSize(999_999), "1 MB"},
		{byteSize(12_345_678), "12.3 MB"},
		{count(0), "0"},
		{count(999), "999"},
		{count(1234567), "1,234,567"},
		{count(-1234), "-1,234"},
		{count(uint64(10_000)), "10,000"},
		{percent(0.99), "99%"},
		{percent(0.99999), "99.99%"},
		{percent(1), "100%"},
		{percent(0.5), "50%"},
		{times(1.1), "1.10×"},
		{number(3.25), "3.2"},
		{number(1234.5), "1,235"},
		{clean("a\tb\x1b[31mc\n"), "a b [31mc "},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// Issue 18: a report with one target said "All 1 applicable targets met."
func TestVerdictCounts(t *testing.T) {
	pass := Check{Name: "delivery ratio", Status: StatusPass}
	none := Check{Name: "CPU per message vs bare", Status: StatusNone}
	fail := Check{Name: "delivery ratio", Value: "90%", Target: "≥ 99%", Status: StatusFail}
	for _, tc := range []struct {
		checks []Check
		want   string
		status Status
	}{
		{[]Check{pass, none}, "The one applicable target is met.", StatusPass},
		{[]Check{pass, pass, none}, "All 2 applicable targets met.", StatusPass},
		{[]Check{none}, "", StatusNone},
		{[]Check{pass, fail}, "Missed: delivery ratio 90% (target ≥ 99%)", StatusFail},
	} {
		got, status := verdict(tc.checks)
		if got != tc.want || status != tc.status {
			t.Errorf("verdict = %q, %v; want %q, %v", got, status, tc.want, tc.status)
		}
	}
}
