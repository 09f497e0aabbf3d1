package sim

import (
	"fmt"
	"math"
	"time"
)

// fill sets the documented defaults of zero fields.
func (sc *Scenario) fill() {
	if sc.Seed == 0 {
		sc.Seed = 1
	}
	dur := sc.Duration
	t := &sc.Topology
	if t.Kind == "" {
		t.Kind = TopologyLAN
	}
	setInt(&t.Peers, 8)
	setInt(&t.Rooms, 2)
	if t.Bridges == nil {
		one := 1
		t.Bridges = &one
	}
	setInt(&t.Degree, 4)
	l := &sc.Link
	setDur(&l.Latency, Duration(5*time.Millisecond))
	if l.Bandwidth == 0 {
		l.Bandwidth = 20e6
	}
	if l.RelayBandwidth == 0 {
		l.RelayBandwidth = 1e9
	}
	if l.Transport == "" {
		l.Transport = TransportStreams
	}
	for i := range sc.Groups {
		g := &sc.Groups[i]
		if g.Kind == "" {
			g.Kind = GroupOpen
		}
		setFloat(&g.Members, 1)
	}
	for i := range sc.Load {
		ld := &sc.Load[i]
		if ld.Group == "" && len(sc.Groups) > 0 {
			ld.Group = sc.Groups[0].Name
		}
		setInt(&ld.Size, 100)
		setFloat(&ld.Senders, 1)
		setDur(&ld.Start, Duration(15*time.Second))
		setDur(&ld.Stop, dur-Duration(30*time.Second))
	}
	if c := sc.Churn; c != nil {
		setDur(&c.MeanOnline, Duration(2*time.Minute))
		setDur(&c.MeanOffline, Duration(30*time.Second))
		setDur(&c.Stop, dur-Duration(time.Minute))
	}
	for i := range sc.Partitions {
		setFloat(&sc.Partitions[i].Share, 0.5)
	}
	for i := range sc.Attackers {
		a := &sc.Attackers[i]
		switch a.Kind {
		case AttackSpammer:
			setInt(&a.Count, 1)
			setStr(&a.Mode, ModeInvalid)
			setInt(&a.IPs, a.Count)
		case AttackSybil:
			setInt(&a.Count, 20)
			setStr(&a.Mode, ModeBlackhole)
			setInt(&a.IPs, 1)
		}
		if a.Group == "" {
			for _, g := range sc.Groups {
				if g.Kind == GroupOpen {
					a.Group = g.Name
					break
				}
			}
		}
		setFloat(&a.Rate, 50)
		setInt(&a.Size, 100)
		setInt(&a.Targets, 8)
		setDur(&a.Start, Duration(30*time.Second))
		setDur(&a.Stop, dur-Duration(30*time.Second))
	}
}

func setInt(v *int, d int) {
	if *v == 0 {
		*v = d
	}
}

func setFloat(v *float64, d float64) {
	if *v == 0 {
		*v = d
	}
}

func setDur(v *Duration, d Duration) {
	if *v == 0 {
		*v = d
	}
}

func setStr(v *string, d string) {
	if *v == "" {
		*v = d
	}
}

// Scaled returns a copy of sc with f times the attendees and attackers
// (rounded, at least one where there was one); relays, groups, load and
// times stay. `starling-sim --scale 5` turns a 200-person hall into 1,000.
func (sc *Scenario) Scaled(f float64) (*Scenario, error) {
	if math.IsNaN(f) || f <= 0 || f > 100 {
		return nil, fmt.Errorf("%w: scale %v: use a factor above 0 and at most 100", ErrScenario, f)
	}
	out := *sc
	scale := func(n int) int {
		if n == 0 {
			return 0
		}
		return max(1, int(math.Round(float64(n)*f)))
	}
	out.Nodes.Attendees = scale(sc.Nodes.Attendees)
	out.Attackers = append([]Attacker(nil), sc.Attackers...)
	for i := range out.Attackers {
		a := &out.Attackers[i]
		a.Count = scale(a.Count)
		a.IPs = min(scale(a.IPs), a.Count)
	}
	out.Groups = append([]Group(nil), sc.Groups...)
	out.Load = append([]Load(nil), sc.Load...)
	out.Partitions = append([]Partition(nil), sc.Partitions...)
	out.Outages = append([]Outage(nil), sc.Outages...)
	if sc.Churn != nil {
		c := *sc.Churn
		out.Churn = &c
	}
	if err := out.validate(); err != nil {
		return nil, fmt.Errorf("%w: at scale %v: %w", ErrScenario, f, err)
	}
	return &out, nil
}
