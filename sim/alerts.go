package sim

import (
	"fmt"
	"math"
	"slices"
	"time"

	"starling/message"
)

// Organiser alerts in a run (Scenario.Alerts): the owner's node sends each
// one, every attendee's acknowledges it on arrival (node.Config.AckAlerts),
// and the report says how fast it spread and what it cost.

// alertSampleEvery is how often the organiser's count is read.
const alertSampleEvery = 250 * time.Millisecond

// reachSample is the organiser's count of an alert's acknowledgements at
// one time.
type reachSample struct {
	at             time.Time
	acked, devices int
}

// sampleReach reads the organiser's reach of alert msg (planned as m)
// until the run ends.
func (f *starlingFleet) sampleReach(m planMsg, msg *message.Message) {
	n := f.nodes[m.Sender]
	t := time.NewTicker(alertSampleEvery)
	defer t.Stop()
	for {
		if r, err := n.Alerts().Reach(msg.Body.Group, msg.ID); err == nil {
			f.mu.Lock()
			f.reach[m.Index] = append(f.reach[m.Index], reachSample{at: time.Now(), acked: r.Acked, devices: r.Devices})
			f.mu.Unlock()
		}
		select {
		case <-f.runCtx.Done():
			return
		case <-t.C:
		}
	}
}

// alertShares are the shares of the members the report times.
var alertShares = []float64{0.5, 0.9, 0.99}

// alertEvents reports each alert: how long until 50, 90 and 99 % of its
// group's other members held it and until the organiser counted their
// acknowledgements, and the bytes of the alert protocol and of everything.
func (f *starlingFleet) alertEvents(at time.Duration) []event {
	var out []event
	for _, m := range f.p.msgs {
		if !m.Alert {
			continue
		}
		f.mu.Lock()
		id, sent := f.ids[m.Index]
		samples := slices.Clone(f.reach[m.Index])
		f.mu.Unlock()
		g := f.p.groups[m.Group]
		if !sent {
			out = append(out, event{At: at, Kind: EventAlert, Detail: fmt.Sprintf("the alert to %s was not sent", g.Name)})
			continue
		}
		s, err := f.nodes[m.Sender].Store().Get(id)
		if err != nil {
			continue
		}
		sentAt := s.ReceivedAt
		var held []time.Duration
		others := 0
		for _, v := range g.Members {
			if v == m.Sender {
				continue
			}
			others++
			if st, err := f.nodes[v].Store().Get(id); err == nil {
				held = append(held, max(0, st.ReceivedAt.Sub(sentAt)))
			}
		}
		slices.Sort(held)
		heldText := ""
		counted := ""
		for _, share := range alertShares {
			need := int(math.Ceil(share * float64(others)))
			when := "never"
			if need <= len(held) && need > 0 {
				when = held[need-1].Round(time.Millisecond).String()
			}
			heldText += fmt.Sprintf(", %.0f %% after %s", share*100, when)
			when = "never"
			for _, r := range samples {
				if r.acked-1 >= need { // the organiser acknowledges its own too
					when = r.at.Sub(sentAt).Round(time.Millisecond).String()
					break
				}
			}
			counted += fmt.Sprintf(", %.0f %% after %s", share*100, when)
		}
		last := reachSample{}
		if len(samples) > 0 {
			last = samples[len(samples)-1]
		}
		var attendeeAlert, attendeeAll int64
		attendees := 0
		relayAlert, relayAll := int64(0), int64(0)
		for i := range f.p.honest {
			a := f.meters[i].alertIn.Load() + f.meters[i].alertOut.Load()
			in, outB := f.w.traffic(i)
			if f.p.isRelay(i) {
				relayAlert, relayAll = relayAlert+a, relayAll+in+outB
				continue
			}
			attendees++
			attendeeAlert, attendeeAll = attendeeAlert+a, attendeeAll+in+outB
		}
		org := f.meters[m.Sender].alertIn.Load() + f.meters[m.Sender].alertOut.Load()
		out = append(out, event{At: at, Kind: EventAlert, Detail: fmt.Sprintf(
			"alert %s to %s: of its %d other members, held by %d%s; the organiser counted their acknowledgements%s (at the end: reached %d of the %d devices seen); "+
				"alert-protocol bytes (offers, acks, pulls, in+out) per attendee %d (mean), organiser %d, relays %d; all bytes per attendee %d (mean), relays %d",
			id.Short(), g.Name, others, len(held), heldText, counted, last.acked, last.devices,
			attendeeAlert/int64(max(1, attendees)), org, relayAlert, attendeeAll/int64(max(1, attendees)), relayAll)})
	}
	return out
}
