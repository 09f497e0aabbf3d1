package apiserver

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"time"

	"starling/api"
	"starling/doctor"
	"starling/netwatch"
)

// networkReporter is what the status shows of the node's network, and the
// direct probes `starling doctor` asks for, when the Backend has them (the
// node does; test fakes need not).
type networkReporter interface {
	Network() netwatch.Report
	// ProbeDirect dials directly the peers reached only through a relay
	// and returns the probes' counts; it ends when ctx does.
	ProbeDirect(ctx context.Context) netwatch.ProbeReport
}

// diagnose adds the network block and the findings to a status. The
// interfaces are this machine's (Config.Interfaces), which is the node's:
// the API answers only on loopback.
func (s *Server) diagnose(st *api.Status) {
	if nr, ok := s.cfg.Backend.(networkReporter); ok {
		n := NewNetwork(nr.Network())
		st.Network = &n
	}
	f := doctor.Facts{Now: time.Now(), Status: st}
	if s.cfg.Interfaces != nil {
		if ifaces, err := s.cfg.Interfaces(); err == nil {
			f.Interfaces = ifaces
		} else {
			s.log.Debug("cannot list network interfaces for the diagnosis", "err", err)
		}
	}
	st.Findings = doctor.Diagnose(f)
}

// handleProbe runs the direct probes; 501 from a backend without them.
func (s *Server) handleProbe(w http.ResponseWriter, r *http.Request) {
	nr, ok := s.cfg.Backend.(networkReporter)
	if !ok {
		writeError(w, http.StatusNotImplemented, errors.New("this node cannot probe its peers"))
		return
	}
	writeJSON(w, http.StatusOK, NewProbes(nr.ProbeDirect(r.Context())))
}

// NewNetwork builds the API's view of a node's network report.
func NewNetwork(r netwatch.Report) api.Network {
	m := r.MDNS
	n := api.Network{
		Now:   timePtr(r.Now),
		Relay: r.Relay,
		MDNS: api.MDNS{
			Enabled: m.Enabled, Listening: m.Listening, Interfaces: m.Interfaces, Error: m.Error,
			Since: timePtr(m.Since), Own: m.Own, Others: m.Others, Starling: m.Starling,
			LastOwn: timePtr(m.LastOwn), LastOther: timePtr(m.LastOther), LastStarling: timePtr(m.LastStarling),
		},
		DirectPeers:    r.DirectPeers,
		RelayedPeers:   r.RelayedPeers,
		RelayedSameLAN: r.RelayedSameLAN,
		Dials: api.Dials{
			Attempts: r.Dials.Attempts,
			Failures: r.Dials.Failures,
			ByReason: reasonCounts(r.Dials.ByReason),
		},
		Probes: NewProbes(r.Probes),
		Clock: api.Clock{
			OffsetMS: r.Clock.OffsetMS, MinMS: r.Clock.MinMS, MaxMS: r.Clock.MaxMS,
			Authors: r.Clock.Authors, Ahead: r.Clock.Ahead, Behind: r.Clock.Behind, Samples: r.Clock.Samples,
		},
	}
	for _, p := range r.Subnets {
		n.Subnets = append(n.Subnets, p.String())
	}
	for _, f := range r.Dials.Recent {
		n.Dials.Recent = append(n.Dials.Recent, dialFailure(f))
	}
	for _, id := range slices.Sorted(maps.Keys(r.Relays)) {
		i := r.Relays[id]
		n.RelayIssues = append(n.RelayIssues, api.RelayIssue{
			PeerID: id, DialReason: string(i.DialReason), DialError: i.DialError, DialAt: timePtr(i.DialAt),
			ReservationError: i.ReservationError, ReservationAt: timePtr(i.ReservationAt),
		})
	}
	return n
}

// NewProbes builds the API's view of the direct probes' counts.
func NewProbes(p netwatch.ProbeReport) api.Probes {
	out := api.Probes{Tried: p.Tried, Succeeded: p.Succeeded, Failed: p.Failed, SameLAN: p.SameLAN, ByReason: reasonCounts(p.ByReason)}
	if p.Last != nil {
		f := dialFailure(*p.Last)
		out.Last = &f
	}
	return out
}

func dialFailure(f netwatch.DialFailure) api.DialFailure {
	return api.DialFailure{Peer: f.Peer, Relay: f.Relay, Reason: string(f.Reason), Error: f.Error, At: f.At.UTC()}
}

func reasonCounts(by map[netwatch.Reason]uint64) map[string]uint64 {
	if len(by) == 0 {
		return nil
	}
	out := make(map[string]uint64, len(by))
	for k, v := range by {
		out[string(k)] = v
	}
	return out
}

// timePtr is t in UTC, or nil for the zero time (never happened).
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
