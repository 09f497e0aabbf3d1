package engine

import (
	"fmt"
	"slices"
	"time"

	"starling/group"
	"starling/message"
)

// Snapshot is everything the page stored, given back on reload.
type Snapshot struct {
	Identity IdentityRecord  `json:"identity"`
	Groups   []GroupRecord   `json:"groups"`
	Messages []MessageRecord `json:"messages"`
}

// Restored says what Restore rebuilt.
type Restored struct {
	Me       Me          `json:"me"`
	Groups   []GroupInfo `json:"groups"`
	Messages int         `json:"messages"`
	Skipped  int         `json:"skipped"`
	Problems []string    `json:"problems"`
}

// Restore rebuilds the engine from stored records, as the daemon does at
// start: each group from its secrets (group.RestoreSecrets), then the
// replay of its messages (group.State.Replay). Every message is decoded
// and its signature checked again (storage is not trusted more than the
// network); what fails, or belongs to no restored group, is skipped and
// counted. A group record that does not restore is reported in Problems.
func (e *Engine) Restore(s Snapshot) (Restored, error) {
	u, err := userOf(s.Identity)
	if err != nil {
		return Restored{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.me = nil
	e.setIdentityLocked(u)
	r := Restored{Me: meOf(u), Groups: []GroupInfo{}, Problems: []string{}}
	for _, g := range s.Groups {
		j, err := e.restoreGroup(g)
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("group %s: %v", g.ID, err))
			continue
		}
		e.groups[j.st.ID()] = j
	}
	byGroup := map[message.GroupID][]*message.Message{}
	e.heldMu.Lock()
	for _, rec := range s.Messages {
		m, err := message.Decode(rec.Raw)
		if err == nil {
			err = m.VerifySignature()
		}
		if err != nil || e.groups[m.Body.Group] == nil || rec.ID != m.ID.String() || m.Body.Kind == message.KindImageChunk {
			r.Skipped++
			continue
		}
		e.held[m.ID] = held{group: m.Body.Group, author: m.Body.Author, sentAt: m.Body.SentAtMS, kind: m.Body.Kind, raw: m.Raw}
		byGroup[m.Body.Group] = append(byGroup[m.Body.Group], m)
		r.Messages++
	}
	e.heldMu.Unlock()
	for id, ms := range byGroup {
		e.groups[id].st.Replay(ms)
	}
	for _, j := range e.groups {
		r.Groups = append(r.Groups, e.infoLocked(j))
	}
	slices.SortFunc(r.Groups, func(a, b GroupInfo) int { return compareStrings(a.Name, b.Name) })
	return r, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (e *Engine) restoreGroup(g GroupRecord) (*joined, error) {
	if g.V != RecordVersion {
		return nil, fmt.Errorf("record version %d, want %d", g.V, RecordVersion)
	}
	st, err := group.RestoreSecrets(g.Secrets, e.me, e.groupConfig())
	if err != nil {
		return nil, err
	}
	if st.ID().String() != g.ID {
		return nil, fmt.Errorf("its secrets are of group %s", st.ID().Short())
	}
	if st.IsCarrier() {
		return nil, fmt.Errorf("a carrier's record: a phone carries no group")
	}
	return &joined{st: st, channel: g.Channel, link: g.Link, relays: slices.Clone(g.Relays), ticket: g.Ticket, joinedAt: time.UnixMilli(g.JoinedAt)}, nil
}
