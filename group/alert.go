package group

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"starling/group/grouppb"
	"starling/identity"
	"starling/message"
)

// Alerts. An alert (message.KindAlert) is a signed post that only the owner
// and admins of a created group (open, announcement or private) may send;
// an open channel has no owner, so it takes none. It is judged like a text
// (bans, removals, revocations' cuts; sealed in a private group) plus that
// rule: an alert by anyone else is ignored (their standing may differ in a
// view this node lacks, so its forwarder is not to blame).
//
// A device that displayed an alert acknowledges it with a tiny signed
// message of its own (message.KindAlertAck: ref names the alert, no
// payload, never sealed). Acks are never stored or gossiped: the node pushes
// its own to a few peers, which count it (CheckAck judges one).

// MaxAlertBytes caps an alert's UTF-8 text: an alert is read at a glance.
const MaxAlertBytes = 1024

// Alert is an organiser's alert.
type Alert struct {
	Text string
}

// MessageKind implements Content.
func (Alert) MessageKind() message.Kind { return message.KindAlert }

// CheckAlertText reports whether s is an alert's text: UTF-8, not empty or
// only spaces, at most MaxAlertBytes. Errors wrap ErrBadPayload.
func CheckAlertText(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%w: an alert needs a text", ErrBadPayload)
	case len(s) > MaxAlertBytes:
		return fmt.Errorf("%w: alert is %d bytes, limit %d", ErrBadPayload, len(s), MaxAlertBytes)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: alert is not UTF-8", ErrBadPayload)
	}
	return nil
}

func encodeAlert(a Alert) ([]byte, error) {
	if err := CheckAlertText(a.Text); err != nil {
		return nil, err
	}
	b, err := marshalOpts.Marshal(&grouppb.Alert{Text: a.Text})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	return b, nil
}

func decodeAlert(payload []byte) (Content, error) {
	var pb grouppb.Alert
	if err := decode(payload, &pb); err != nil {
		return nil, err
	}
	if err := CheckAlertText(pb.Text); err != nil {
		return nil, err
	}
	return Alert{Text: pb.Text}, nil
}

// alertAllowedIn: the author is the owner or an admin under view v (or a
// revocation's cut keeps this alert of theirs).
func (s *State) alertAllowedIn(v *view, m *message.Message) (message.Verdict, error) {
	if s.auth == nil {
		return message.Reject, fmt.Errorf("%w: an open channel has no owner or admins to send alerts", ErrNotAllowed)
	}
	k := key32(m.Body.Author)
	if v != nil && v.genesis == nil {
		// Who the owner is comes with the genesis: wait for it (pending)
		// rather than refuse the owner's alert.
		return message.Ignore, fmt.Errorf("%w: the group's genesis is not known yet", ErrStale)
	}
	if v != nil && !s.isAdminIn(v, m.Body.Author) {
		if _, kept := v.keep[k][m.ID]; !kept {
			return message.Ignore, fmt.Errorf("%w: only the owner and admins send alerts", ErrNotAllowed)
		}
	}
	return s.allowedIn(v, k, m.ID, m.Body.SentAtMS, m.Body.Kind)
}

// AlertReach is what a node knows of an alert's reach (the node counts
// acknowledgements; this is the figures it gives out).
type AlertReach struct {
	ID     message.ID
	Group  message.GroupID
	Author ed25519.PublicKey
	Text   string
	SentAt time.Time
	// Acked is how many devices acknowledged it (members this node knows);
	// Devices how many it saw in the group in the last hour. Acked never
	// exceeds Devices.
	Acked, Devices int
	// AckKeys is every verified ack held, members or not (bounded).
	AckKeys int
	// YouAcked: this device acknowledged it.
	YouAcked bool
	// Live: still re-offered and, on an organiser's node, pulled.
	Live bool
}

// ComposeAck signs u's acknowledgement of the alert id in this group: no
// payload, never sealed (it says only that some device displayed some
// message), dated now.
func (s *State) ComposeAck(u *identity.User, alert message.ID, now time.Time) (*message.Message, error) {
	if u == nil {
		return nil, errNoUser
	}
	if alert.IsZero() {
		return nil, fmt.Errorf("%w: an acknowledgement names no alert", ErrBadPayload)
	}
	return message.Sign(u.PrivateKey(), message.Body{
		Version: message.Version, Group: s.id, Author: u.PublicKey(), SentAtMS: message.TimeMS(now),
		Kind: message.KindAlertAck, Ref: alert,
	})
}

// CheckAck judges an acknowledgement that passed the stateless rules
// (message.Verify): of this group, naming an alert, with no payload or
// epoch, by someone who may read the group now (not banned or removed).
// Whether the alert is one the node holds is the node's to ask.
func (s *State) CheckAck(m *message.Message, now time.Time) (message.Verdict, error) {
	b := &m.Body
	switch {
	case b.Group != s.id:
		return message.Reject, fmt.Errorf("%w: %s, not %s", ErrWrongGroup, b.Group.Short(), s.id.Short())
	case b.Kind != message.KindAlertAck:
		return message.Reject, fmt.Errorf("%w: a %s is not an acknowledgement", ErrBadPayload, b.Kind)
	case s.auth == nil:
		return message.Reject, fmt.Errorf("%w: an open channel has no alerts to acknowledge", ErrNotAllowed)
	case s.Expired(now):
		return message.Reject, fmt.Errorf("%w: it ended at %s", ErrGroupExpired, s.EndsAt().UTC().Format(time.RFC3339))
	case b.Ref.IsZero():
		return message.Reject, fmt.Errorf("%w: an acknowledgement names no alert", ErrBadPayload)
	case len(b.Payload) > 0 || b.Epoch != 0:
		return message.Reject, fmt.Errorf("%w: an acknowledgement has no payload or epoch", ErrBadPayload)
	}
	st := s.Standing(b.Author)
	switch {
	case st.Banned:
		return message.Ignore, fmt.Errorf("%w: the acknowledging key is banned", ErrBanned)
	case st.Removed:
		return message.Ignore, fmt.Errorf("%w: the acknowledging key was removed", ErrRemoved)
	}
	return message.Accept, nil
}
