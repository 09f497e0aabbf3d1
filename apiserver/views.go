package apiserver

import (
	"encoding/hex"

	"starling/api"
	"starling/catchup"
	"starling/delivery"
	"starling/group"
	"starling/identity"
	"starling/relay"
	"starling/store"
)

// NewDelivery builds the view of a message's delivery in the named group.
func NewDelivery(d delivery.Status, groupName string) api.Delivery {
	return api.Delivery{
		ID: d.ID.String(), Group: groupName, GroupID: d.Group.String(),
		State: d.State.String(), Peers: d.Peers, Relays: d.Relays, At: d.At.UTC(),
	}
}

// NewRelay builds the view of a relay link.
func NewRelay(l relay.Link) api.Relay {
	v := api.Relay{PeerID: l.ID.String(), Addrs: []string{}, Connected: l.Connected, Reserved: l.Reserved}
	for _, a := range l.Addrs {
		v.Addrs = append(v.Addrs, a.String())
	}
	return v
}

// NewMessage builds the view of a stored message in the named group; c is
// its content as the node opened it (nil when this node cannot read it: a
// private group's message under a key it does not hold).
func NewMessage(s store.Stored, groupName string, c group.Content) api.Message {
	b := &s.Msg.Body
	m := api.Message{
		ID:         s.Msg.ID.String(),
		Group:      groupName,
		GroupID:    b.Group.String(),
		Author:     string(identity.FingerprintOf(b.Author)),
		AuthorKey:  hex.EncodeToString(b.Author),
		SentAt:     b.SentAt().UTC(),
		ReceivedAt: s.ReceivedAt.UTC(),
		Kind:       b.Kind.String(),
		Origin:     s.Origin.String(),
		Late:       s.Origin == store.OriginCatchup,
		Unreadable: c == nil,
	}
	if !b.Ref.IsZero() {
		m.Ref = b.Ref.String()
	}
	switch c := c.(type) {
	case group.Text:
		m.Text, m.Name = c.Text, c.Nick
	case group.Delete:
		m.Text = c.Reason
	case group.Op:
		m.Text, m.Action = c.Action.ActionName(), c.Action.ActionName()
		switch a := c.Action.(type) {
		case group.Ban:
			if a.Reason != "" {
				m.Text += ": " + a.Reason
				m.Reason = a.Reason
			}
		case group.SetRole:
			m.Role = a.Role.String()
		}
		if k := group.Target(c.Action); k != nil {
			m.Target = string(identity.FingerprintOf(k))
		}
	case group.Profile:
		m.Name = c.Nick
	case group.Alert:
		m.Text = c.Text
	case group.Descriptor:
		m.Text = c.Name
	}
	return m
}

// NewSync builds the view of a catch-up session in the named group.
func NewSync(r catchup.Result, groupName string) api.Sync {
	v := api.Sync{
		Group:         groupName,
		GroupID:       r.Group.String(),
		Peer:          r.Peer.String(),
		At:            r.Started.UTC(),
		Fetched:       r.Fetched,
		Pushed:        r.Pushed,
		Ignored:       r.Ignored,
		Rounds:        r.Rounds,
		Complete:      r.Complete,
		BytesSent:     r.BytesSent,
		BytesReceived: r.BytesReceived,
		TookMS:        float64(r.Took.Microseconds()) / 1000,
	}
	if r.Err != nil {
		v.Error = r.Err.Error()
	}
	return v
}

// NewStanding builds the view of where this user stands in the named
// group.
func NewStanding(st group.Standing, groupName string) api.Standing {
	v := api.Standing{
		Member: st.Member, Owner: st.Owner, Admin: st.Admin, Poster: st.Poster,
		Removed: st.Removed, Banned: st.Banned, Stale: st.Stale,
		Reason: st.Reason, Why: st.Why(groupName),
	}
	if st.By != nil {
		v.By = string(identity.FingerprintOf(st.By))
	}
	if !st.At.IsZero() {
		at := st.At.UTC()
		v.At = &at
	}
	return v
}

// NewGroup builds the view of a stored group.
func NewGroup(g store.Group, messages, peers int) api.Group {
	v := api.Group{ID: g.ID.String(), Name: g.Name, Kind: g.Kind, JoinedAt: g.JoinedAt.UTC(), Messages: messages, Peers: peers}
	if !g.LeftAt.IsZero() {
		at := g.LeftAt.UTC()
		v.LeftAt = &at
		// A channel is joined again by its name; any other group by its
		// ID, since its name may be an open channel's too.
		v.Rejoin = v.ID
		if g.Kind == "channel" {
			v.Rejoin = g.Name
		}
	}
	return v
}

// NewStoreHealth builds the view of a store's disk and its count of
// damaged records skipped.
func NewStoreHealth(d store.Disk, skipped uint64) api.StoreHealth {
	return api.StoreHealth{
		State: d.Label(), Reason: d.Reason(),
		FreeBytes: d.Free, FloorBytes: d.Floor, HardFloorBytes: d.HardFloor,
		Refused: d.Refused, Skipped: skipped,
	}
}
