package transportkey

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestDerive(t *testing.T) {
	u1, t1, err := Derive("attendee-1")
	if err != nil {
		t.Fatal(err)
	}
	again, tAgain, err := Derive("attendee-1")
	if err != nil {
		t.Fatal(err)
	}
	u2, t2, err := Derive("attendee-2")
	if err != nil {
		t.Fatal(err)
	}
	if u1.Name != "attendee-1" {
		t.Errorf("name %q, want attendee-1", u1.Name)
	}
	if u1.Fingerprint() != again.Fingerprint() || !t1.Equals(tAgain) {
		t.Error("the same name derived different keys")
	}
	if u1.Fingerprint() == u2.Fingerprint() || t1.Equals(t2) {
		t.Error("two names derived the same key")
	}
	// The user key and the transport key must differ: one signs messages,
	// the other is shown to the whole network.
	raw, err := t1.Raw()
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) == string(u1.PrivateKey()) {
		t.Error("the user key and the transport key are the same")
	}
	id1, err := peer.IDFromPrivateKey(t1)
	if err != nil {
		t.Fatal(err)
	}
	// A fixed vector: the exporter and the daemon compute peer IDs apart,
	// so the derivation must never change silently.
	if got, want := id1.String(), derivedPeerAttendee1; got != want {
		t.Errorf("peer ID of attendee-1 = %s, want %s", got, want)
	}
	for _, bad := range []string{"", "a\nb"} {
		if _, _, err := Derive(bad); err == nil {
			t.Errorf("Derive(%q) succeeded, want an error", bad)
		}
	}
}

// derivedPeerAttendee1 is Derive("attendee-1")'s peer ID, as computed when
// the derivation was written.
const derivedPeerAttendee1 = "12D3KooWNhWRLga1wBeJSYRxJJXWVuFr48xx9VPn2adaavDc86v7"
