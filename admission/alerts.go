package admission

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"starling/message"
)

// Alerts have a budget of their own. Only the owner and admins send them
// (package group), and their messages take no chat rate limit, so without
// it nothing would bound an admin's alerts; with it, an alert is never
// refused for the chat its author sent (it takes no chat rate window) and a
// flood of alerts by one author is cut at AlertBurst per AlertWindow of
// sent_at, on every node alike, whether it comes by gossip or catch-up.
const (
	AlertBurst  = 3
	AlertWindow = 10 * time.Minute
)

// ErrAlertLimited: the author sent AlertBurst alerts in the AlertWindow
// before this one (by sent_at). Final, like the chat rate.
var ErrAlertLimited = errors.New("author is over the alert budget for that time")

// AlertAllowed reports whether one more alert by an author who sent alerts
// at the sent_at times in recent (milliseconds) fits the budget at
// sentAtMS: fewer than AlertBurst of them lie within AlertWindow before
// or after it. The node's own sends use it too.
func AlertAllowed(recent []uint64, sentAtMS uint64) error {
	w := uint64(AlertWindow.Milliseconds())
	n := 0
	for _, t := range recent {
		if t+w > sentAtMS && sentAtMS+w > t {
			n++
		}
	}
	if n >= AlertBurst {
		return fmt.Errorf("%w: %d alerts per %s", ErrAlertLimited, AlertBurst, AlertWindow)
	}
	return nil
}

// noteAlert records an alert's sent_at in an author's account, keeping
// only those near the newest (a window each side) and at most a few.
func (au *authorAccount) noteAlert(sentAtMS uint64) {
	if slices.Contains(au.alerts, sentAtMS) {
		return
	}
	au.alerts = append(au.alerts, sentAtMS)
	if len(au.alerts) > 4*AlertBurst {
		slices.Sort(au.alerts)
		au.alerts = slices.Clone(au.alerts[len(au.alerts)-4*AlertBurst:])
	}
}

func isAlert(m *message.Message) bool { return m.Body.Kind == message.KindAlert }
