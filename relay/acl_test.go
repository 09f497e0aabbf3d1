package relay

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// clock is a settable clock for an ACL.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Unix(1_800_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testPeer is a peer ID for the ACL's table; the ACL never decodes it.
func testPeer(name string) peer.ID { return peer.ID("test peer " + name) }

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"open": Open, "invite": Invite} {
		got, err := ParseMode(in)
		if err != nil || got != want || got.String() != in {
			t.Errorf("ParseMode(%q) = %v (%q), %v; want %v", in, got, got.String(), err, want)
		}
	}
	// The flag's value is taken as typed: anything else is refused, never
	// read as the open mode by default.
	for _, in := range []string{"", "Open", "INVITE", " invite", "invite ", "closed", "open\x00", "invite-only", "1"} {
		if got, err := ParseMode(in); err == nil {
			t.Errorf("ParseMode(%q) = %v, want an error", in, got)
		} else if !strings.Contains(err.Error(), "want open or invite") {
			t.Errorf("ParseMode(%q): %q does not say what is accepted", in, err)
		}
	}
}

// An open ACL lets every peer reserve and open circuits, and refuses
// nothing.
func TestOpenACLAdmitsEveryone(t *testing.T) {
	a := NewACL(Open, nil)
	if !a.Open() {
		t.Fatal("an open ACL says it is not open")
	}
	stranger, other := testPeer("stranger"), testPeer("other")
	if !a.Admitted(stranger) || !a.AllowReserve(stranger, nil) || !a.AllowConnect(stranger, nil, other) {
		t.Error("an open ACL refuses a peer it never admitted")
	}
	if res, circ := a.Refused(); res != 0 || circ != 0 {
		t.Errorf("an open ACL counts %d refused reservations and %d circuits", res, circ)
	}
}

// An invite ACL lets a peer in from its admission until the ticket's
// expiry (inclusive, as group.CheckTicket reads a ticket's NotAfter), and a
// circuit only between two admitted peers.
func TestInviteACL(t *testing.T) {
	c := newClock()
	a := NewACL(Invite, c.Now)
	if a.Open() {
		t.Fatal("an invite ACL says it is open")
	}
	guest, host, stranger := testPeer("guest"), testPeer("host"), testPeer("stranger")
	if a.Admitted(guest) || a.AllowReserve(guest, nil) {
		t.Fatal("an invite ACL admits a peer that presented no ticket")
	}
	if res, _ := a.Refused(); res != 1 {
		t.Errorf("%d refused reservations counted, want 1", res)
	}

	until := c.Now().Add(time.Hour)
	a.Admit(guest, until)
	if !a.AllowReserve(guest, nil) {
		t.Fatal("an admitted peer may not reserve")
	}
	// A circuit needs both ends admitted: a stranger reaches no attendee
	// through the relay, and an attendee reaches no stranger.
	if a.AllowConnect(stranger, nil, guest) || a.AllowConnect(guest, nil, stranger) {
		t.Error("a circuit with a stranger at one end is allowed")
	}
	a.Admit(host, until)
	if !a.AllowConnect(guest, nil, host) || !a.AllowConnect(host, nil, guest) {
		t.Error("a circuit between two admitted peers is refused")
	}
	if res, circ := a.Refused(); res != 1 || circ != 2 {
		t.Errorf("refused %d reservations and %d circuits, want 1 and 2", res, circ)
	}

	// An earlier expiry never shortens an admission; a later one extends
	// it; one already past admits nobody.
	a.Admit(guest, until.Add(-30*time.Minute))
	c.Add(time.Hour)
	if !a.Admitted(guest) || !a.Admitted(host) {
		t.Fatal("a peer is refused at the very second its ticket expires")
	}
	c.Add(time.Nanosecond)
	if a.Admitted(guest) || a.AllowReserve(guest, nil) || a.AllowConnect(guest, nil, host) {
		t.Error("a peer whose ticket expired is still admitted")
	}
	a.Admit(guest, c.Now().Add(time.Hour))
	if !a.Admitted(guest) {
		t.Error("a fresh ticket does not admit again")
	}
	late := testPeer("late")
	a.Admit(late, c.Now().Add(-time.Second))
	if a.Admitted(late) {
		t.Error("an expired ticket admits its holder")
	}
}

// The table of admitted peers is bounded: when it is full, expired entries
// make room; when none has expired, a new peer is not admitted, but those
// already in it keep theirs and may extend it.
func TestInviteACLIsBounded(t *testing.T) {
	c := newClock()
	a := NewACL(Invite, c.Now)
	soon, later := c.Now().Add(time.Minute), c.Now().Add(time.Hour)
	for i := range MaxAdmitted {
		until := later
		if i%2 == 0 {
			until = soon
		}
		a.Admit(testPeer(fmt.Sprint(i)), until)
	}
	extra := testPeer("one too many")
	a.Admit(extra, later)
	if a.Admitted(extra) {
		t.Fatalf("a peer was admitted past MaxAdmitted (%d) with none expired", MaxAdmitted)
	}
	first := testPeer("0")
	a.Admit(first, later)
	c.Add(2 * time.Minute)
	if !a.Admitted(first) {
		t.Error("a full table refused to extend an admitted peer's expiry")
	}
	a.Admit(extra, later)
	if !a.Admitted(extra) {
		t.Error("a full table with expired entries did not make room")
	}
	if !a.Admitted(testPeer("1")) || a.Admitted(testPeer("2")) {
		t.Error("making room dropped an unexpired peer or kept an expired one")
	}
}

// The ACL is used by the relay service's goroutines and the ticket handler
// at once (run under -race).
func TestACLConcurrentUse(t *testing.T) {
	c := newClock()
	a := NewACL(Invite, c.Now)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 500 {
				p := testPeer(fmt.Sprint(w, "/", i%50))
				a.Admit(p, c.Now().Add(time.Minute))
				a.AllowReserve(p, nil)
				a.AllowConnect(p, nil, testPeer(fmt.Sprint((w+1)%4, "/", i%50)))
				if i%100 == 0 {
					c.Add(time.Second)
				}
			}
		})
	}
	wg.Wait()
	for w := range 4 {
		for i := range 50 {
			if p := testPeer(fmt.Sprint(w, "/", i)); !a.Admitted(p) {
				t.Fatalf("%s lost its admission", p)
			}
		}
	}
}
