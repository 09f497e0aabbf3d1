package engine

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"starling/group"
	"starling/message"
)

// TestAckAlert: an alert the phone holds is acknowledged with a push frame
// whose ack the owner's node verifies and takes; anything else is refused.
func TestAckAlert(t *testing.T) {
	owner := newOwner(t, "olga", group.KindAnnounce)
	alert, err := owner.st.Compose(owner.u, group.Alert{Text: "fire drill at 3"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	owner.keep(alert)
	text := owner.post(t, "doors open")
	e := New(nil)
	mustIdentity(t, e, "pat")
	j := mustJoin(t, e, owner.link(t))
	all, _ := runSync(t, e, j.Group.ID, newServer(t, owner.st.ID(), owner.msgs), 64)
	var v View
	for _, s := range all.Stored {
		if s.View.Kind == "alert" {
			v = s.View
		}
	}
	if v.Text != "fire drill at 3" {
		t.Fatalf("the alert's view: %+v", v)
	}
	a, err := e.AckAlert(j.Group.ID, alert.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if a.Protocol != "/starling/alert/1.0.0" || a.Out[0] != 1 {
		t.Fatalf("ack %+v", a)
	}
	r := bytes.NewReader(a.Out[1:])
	n, err := binary.ReadUvarint(r)
	if err != nil || int(n) != r.Len() || !bytes.Equal(a.Out[len(a.Out)-int(n):], a.Raw) {
		t.Fatalf("push frame: length %d, %v, %d bytes left", n, err, r.Len())
	}
	m, err := message.Verify(a.Raw, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if v, err := owner.st.CheckAck(m, time.Now()); v != message.Accept || m.Body.Ref != alert.ID {
		t.Fatalf("the owner's node says %s to the ack: %v", v, err)
	}
	if _, err := e.AckAlert(j.Group.ID, text.ID.String()); CodeOf(err) != CodeBadArgument {
		t.Fatalf("acknowledging a text: %v", err)
	}
}
