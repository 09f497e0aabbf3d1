package node

import (
	"fmt"
	"sync"
	"time"

	"starling/admission"
	"starling/group"
	"starling/message"
)

// ownRate keeps this user's own messages within what every other node's
// admission takes from an author: Burst messages per window of sent_at and,
// in slow mode, one text per slow-mode window (the owner and admins are
// exempt, as admission exempts them). Other nodes refuse the rest for good,
// so a send beyond it is refused here, with the time to wait, rather than
// lost quietly. Safe for concurrent use.
type ownRate struct {
	burst  int
	window uint64 // ms

	mu   sync.Mutex
	used map[message.GroupID]ownWindow
	slow map[message.GroupID]uint64 // slow-mode window of the last text
}

type ownWindow struct {
	at uint64 // the window: sent_at / window
	n  int
}

func newOwnRate(l admission.Limits) *ownRate {
	return &ownRate{
		burst:  l.Burst,
		window: max(1, uint64(float64(l.Burst)/l.Rate*1000)),
		used:   map[message.GroupID]ownWindow{},
		slow:   map[message.GroupID]uint64{},
	}
}

// take counts m against its group's allowance, or says how long to wait.
func (r *ownRate) take(st *group.State, m *message.Message, self []byte) error {
	if isAuthority(m.Body.Kind) || st.IsAdmin(self) {
		return nil
	}
	b := &m.Body
	r.mu.Lock()
	defer r.mu.Unlock()
	win := b.SentAtMS / r.window
	used := r.used[b.Group]
	if used.at != win {
		used = ownWindow{at: win}
	}
	if used.n >= r.burst {
		wait := time.Duration((win+1)*r.window-b.SentAtMS) * time.Millisecond
		return fmt.Errorf("%w: %s takes %d messages per %s from one person; wait %s", group.ErrRateLimited,
			st.Name(), r.burst, time.Duration(r.window)*time.Millisecond, wait.Round(100*time.Millisecond))
	}
	if slow := st.SlowMode(); slow > 0 && b.Kind == message.KindText {
		key := b.SentAtMS / max(1, uint64(slow.Milliseconds()))
		if last, ok := r.slow[b.Group]; ok && last == key {
			wait := time.Duration((key+1)*uint64(slow.Milliseconds())-b.SentAtMS) * time.Millisecond
			return fmt.Errorf("%w: %s is in slow mode (one message per %s); wait %s", group.ErrRateLimited,
				st.Name(), slow, wait.Round(100*time.Millisecond))
		}
		r.slow[b.Group] = key
	}
	used.n++
	r.used[b.Group] = used
	return nil
}
