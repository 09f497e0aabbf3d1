package relay

import (
	"errors"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// fakeSource is a node with fixed counters.
type fakeSource struct{ storedErr error }

func (fakeSource) PeerCount() int                 { return 4 }
func (fakeSource) PhonePeers() int                { return 3 }
func (f fakeSource) StoredMessages() (int, error) { return 1200, f.storedErr }
func (fakeSource) GossipOutcomes() map[string]uint64 {
	return map[string]uint64{"accepted": 7, "rejected": 2}
}
func (fakeSource) CatchupServed() (sessions, messages uint64) { return 3, 450 }
func (fakeSource) Alerts() AlertFigures {
	return AlertFigures{AcksIn: 1103, AcksRefused: 5, Offers: 40, Taken: 12,
		Reach: []AlertReach{{Alert: "3f2a1b9c", Group: "4d6fc001", Reached: 1103, Devices: 1204}}}
}

// Watch exports what the Source reports at each scrape, under the names
// operators' dashboards use.
func TestMetricsWatch(t *testing.T) {
	m := NewMetrics(nil)
	m.Watch(fakeSource{})
	got := gather(t, m)
	for name, want := range map[string]float64{
		"starling_peers":                           4,
		"starling_phone_peers":                     3,
		"starling_messages_stored":                 1200,
		"starling_gossip_messages_total/accepted":  7,
		"starling_gossip_messages_total/rejected":  2,
		"starling_catchup_served_sessions_total":   3,
		"starling_catchup_served_messages_total":   450,
		"starling_alert_acks_total/held":           1103,
		"starling_alert_acks_total/refused":        5,
		"starling_alert_offers_total/taken":        12,
		"starling_alert_reached/3f2a1b9c/4d6fc001": 1103,
		"starling_alert_devices/3f2a1b9c/4d6fc001": 1204,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (reported: %v), want %v", name, v, ok, want)
		}
	}

	// A store that cannot count fails the scrape rather than report 0.
	bad := NewMetrics(nil)
	bad.Watch(fakeSource{storedErr: errors.New("store closed")})
	if _, err := bad.Registry().Gather(); err == nil {
		t.Error("a scrape whose store failed succeeded")
	}
}

// gather scrapes m: each sample by metric name, and "/" and the outcome
// label where it has one.
func gather(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, s := range f.GetMetric() {
			name := f.GetName()
			for _, l := range s.GetLabel() {
				name += "/" + l.GetValue()
			}
			out[name] = value(s)
		}
	}
	return out
}

func value(s *dto.Metric) float64 {
	switch {
	case s.GetGauge() != nil:
		return s.GetGauge().GetValue()
	case s.GetCounter() != nil:
		return s.GetCounter().GetValue()
	}
	return -1
}
