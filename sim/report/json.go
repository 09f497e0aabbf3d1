package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// WriteJSON writes r as indented JSON. Durations are written as float
// milliseconds in fields ending in _ms, and NaN or infinite floats as 0, so
// the output always parses. [ReadJSON] restores the Report.
func WriteJSON(w io.Writer, r *Report) error {
	if r == nil {
		r = &Report{}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report json: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write report json: %w", err)
	}
	return nil
}

// ReadJSON reads a Report written by [WriteJSON]. Unknown fields are ignored,
// so newer reports still load.
func ReadJSON(rd io.Reader) (*Report, error) {
	var r Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("read report json: %w", err)
	}
	return &r, nil
}

// millis is a duration that JSON sees as float milliseconds. Integer
// nanoseconds survive the trip for any duration below about 100 days.
type millis time.Duration

func (m millis) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(m)/float64(time.Millisecond), 'f', -1, 64), nil
}

func (m *millis) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(b)), 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > math.MaxInt64/float64(time.Millisecond) {
		return fmt.Errorf("duration %s: want milliseconds as a number", b)
	}
	*m = millis(math.Round(f * float64(time.Millisecond)))
	return nil
}

// The wire types below embed the Go type (whose duration fields are tagged
// "-") and add the duration fields as millis, so each struct tag lives in one
// place and a field forgotten here is missing from JSON, which the
// round-trip test catches.

type reportJSON struct {
	report
	SimDuration millis `json:"sim_duration_ms"`
	Wall        millis `json:"wall_ms"`
}

type report Report // report has Report's fields but not its methods

func (r Report) MarshalJSON() ([]byte, error) {
	if r.Runs == nil {
		r.Runs = []Run{}
	}
	return json.Marshal(reportJSON{report(r), millis(r.SimDuration), millis(r.Wall)})
}

func (r *Report) UnmarshalJSON(b []byte) error {
	var v reportJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Report(v.report)
	r.SimDuration, r.Wall = time.Duration(v.SimDuration), time.Duration(v.Wall)
	return nil
}

type run Run

type runJSON struct {
	run
	CPUPerMessage millis `json:"cpu_per_message_ms"`
	CPU           millis `json:"cpu_ms"`
}

func (r Run) MarshalJSON() ([]byte, error) {
	r.LatencyCDF, r.DeliveredOverTime = nonNil(r.LatencyCDF), nonNil(r.DeliveredOverTime)
	r.Nodes, r.Convergence, r.Events = nonNil(r.Nodes), nonNil(r.Convergence), nonNil(r.Events)
	r.DeliveryRatio = finite(r.DeliveryRatio)
	return json.Marshal(runJSON{run(r), millis(r.CPUPerMessage), millis(r.CPU)})
}

func (r *Run) UnmarshalJSON(b []byte) error {
	var v runJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Run(v.run)
	r.CPUPerMessage, r.CPU = time.Duration(v.CPUPerMessage), time.Duration(v.CPU)
	return nil
}

type latencyJSON struct {
	P50   millis `json:"p50_ms"`
	P95   millis `json:"p95_ms"`
	P99   millis `json:"p99_ms"`
	Max   millis `json:"max_ms"`
	Count int    `json:"count"`
}

func (l Latency) MarshalJSON() ([]byte, error) {
	return json.Marshal(latencyJSON{millis(l.P50), millis(l.P95), millis(l.P99), millis(l.Max), l.Count})
}

func (l *Latency) UnmarshalJSON(b []byte) error {
	var v latencyJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*l = Latency{time.Duration(v.P50), time.Duration(v.P95), time.Duration(v.P99), time.Duration(v.Max), v.Count}
	return nil
}

type convergence Convergence

type convergenceJSON struct {
	convergence
	At   millis `json:"at_ms"`
	Took millis `json:"took_ms"`
}

func (c Convergence) MarshalJSON() ([]byte, error) {
	return json.Marshal(convergenceJSON{convergence(c), millis(c.At), millis(c.Took)})
}

func (c *Convergence) UnmarshalJSON(b []byte) error {
	var v convergenceJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Convergence(v.convergence)
	c.At, c.Took = time.Duration(v.At), time.Duration(v.Took)
	return nil
}

type event Event

type eventJSON struct {
	At millis `json:"at_ms"`
	event
}

func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(eventJSON{millis(e.At), event(e)})
}

func (e *Event) UnmarshalJSON(b []byte) error {
	var v eventJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = Event(v.event)
	e.At = time.Duration(v.At)
	return nil
}

// The float-only types are written through finite, so that a NaN from a
// caller's division turns into 0 rather than failing the whole report.

type point Point

func (p Point) MarshalJSON() ([]byte, error) {
	return json.Marshal(point{finite(p.X), finite(p.Y)})
}

type summary Summary

func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(summary{finite(s.Mean), finite(s.P50), finite(s.P95), finite(s.Max)})
}

type ratios Ratios

func (r Ratios) MarshalJSON() ([]byte, error) {
	return json.Marshal(ratios{finite(r.LatencyP99), finite(r.CPUPerMessage), finite(r.DeliveryRatio)})
}

// nonNil makes empty lists appear as [] rather than null in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
