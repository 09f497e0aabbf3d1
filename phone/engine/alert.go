package engine

import (
	"encoding/binary"

	"starling/message"
)

// AlertProtocol is the protocol organiser alerts' acknowledgements are
// pushed on (alerts.Protocol).
const AlertProtocol = "/starling/alert/1.0.0"

// alertPush opens a push exchange on AlertProtocol (alerts/wire.go):
// the ack as a uvarint length and its bytes, answered by one status byte.
const alertPush = 1

// AlertAck is the user's acknowledgement of an alert, ready to push.
type AlertAck struct {
	// Protocol is the stream protocol to open to a peer of the group (a
	// relay first): write Out, read one status byte (2: taken, 3: refused).
	Protocol string `json:"protocol"`
	Out      []byte `json:"out"`
	// Raw is the signed acknowledgement itself.
	Raw []byte `json:"raw"`
}

// AckAlert signs the user's acknowledgement that this device displayed the
// alert alertID of the group (group.State.ComposeAck): a 170-byte message
// that is never gossiped or stored, pushed to a few of the group's peers,
// which count it towards the alert's reach.
func (e *Engine) AckAlert(groupID, alertID string) (AlertAck, error) {
	id, err := requiredID(alertID)
	if err != nil {
		return AlertAck{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	j, err := e.groupLocked(groupID)
	if err != nil {
		return AlertAck{}, err
	}
	e.heldMu.RLock()
	h, ok := e.held[id]
	e.heldMu.RUnlock()
	if !ok || h.group != j.st.ID() || h.kind != message.KindAlert {
		return AlertAck{}, errorf(CodeBadArgument, "no alert %s held in this group", id.Short())
	}
	m, err := j.st.ComposeAck(e.me, id, e.clock())
	if err != nil {
		return AlertAck{}, wrap(err)
	}
	out := []byte{alertPush}
	out = binary.AppendUvarint(out, uint64(len(m.Raw)))
	out = append(out, m.Raw...)
	return AlertAck{Protocol: AlertProtocol, Out: out, Raw: m.Raw}, nil
}
