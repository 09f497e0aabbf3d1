package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// judge reports how the honest Starling nodes treat an attack set as it
// ends: what their validators have refused so far, the GossipSub scores
// they give the attackers, and the share of their mesh slots in the
// attacked group the attackers hold (an eclipse).
func (f *starlingFleet) judge(s attackSet, at time.Duration) []event {
	var refused, ignored uint64
	for _, n := range f.nodes {
		st := n.GossipStats()
		refused += st.Rejected()
		ignored += st.IgnoredPolicy
	}
	out := []event{{At: at, Kind: EventAttack, Detail: fmt.Sprintf(
		"so far honest validators rejected %d messages and rate-limited or refused by policy %d", refused, ignored)}}
	{
		bad := map[peer.ID]bool{}
		for _, id := range s.ids {
			bad[id] = true
		}
		var scores []float64
		for _, n := range f.nodes {
			for id, sc := range n.PeerScores() {
				if bad[id] {
					scores = append(scores, sc)
				}
			}
		}
		detail := fmt.Sprintf("%s (%s): no honest node holds a score for them", s.Kind, s.Mode)
		if len(scores) > 0 {
			below := 0
			for _, sc := range scores {
				if sc < 0 {
					below++
				}
			}
			detail = fmt.Sprintf("%s (%s): %d honest scores of them, median %.0f, lowest %.0f, %d below zero",
				s.Kind, s.Mode, len(scores), median(scores), slices.Min(scores), below)
		}
		if share, worst, ok := f.meshShare(s, bad); ok {
			detail += fmt.Sprintf("; they hold %.1f%% of honest mesh slots in %s (at most %.0f%% at one node)",
				100*share, f.p.groups[s.Group].Name, 100*worst)
		}
		out = append(out, event{At: at, Kind: EventAttack, Detail: detail})
	}
	return out
}

// meshShare is the share of the attacked group's mesh slots, over every
// honest node in it, that attackers hold, and the largest share at one
// node.
func (f *starlingFleet) meshShare(s attackSet, bad map[peer.ID]bool) (share, worst float64, ok bool) {
	g := f.p.groups[s.Group]
	gid := bareGroupID(g)
	total, taken := 0, 0
	for i, n := range f.nodes {
		if !g.in[i] && !f.p.isRelay(i) {
			continue
		}
		mesh := n.MeshPeers(gid)
		k := 0
		for _, p := range mesh {
			if bad[p] {
				k++
			}
		}
		total += len(mesh)
		taken += k
		if len(mesh) > 0 {
			worst = max(worst, float64(k)/float64(len(mesh)))
		}
	}
	if total == 0 {
		return 0, 0, false
	}
	return float64(taken) / float64(total), worst, true
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
