package netlab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Tests of the pure parts: no root, no namespaces.

func TestRuleset(t *testing.T) {
	const head = "table bridge netlab {}\ndelete table bridge netlab\ntable bridge netlab {\n" +
		"\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n"
	const tail = "\t}\n}\n"
	for _, tc := range []struct {
		name string
		f    filter
		want string
	}{
		{"empty", filter{}, ""},
		{"one isolated port isolates nothing", filter{isolated: []string{"p1"}}, ""},
		{"isolation", filter{isolated: []string{"p2", "p3"}},
			"\t\tiifname { \"p2\", \"p3\" } oifname { \"p2\", \"p3\" } counter drop\n"},
		{"partition", filter{sides: [][]string{{"p1"}, {"p2", "p3"}}},
			"\t\tiifname { \"p1\" } oifname { \"p2\", \"p3\" } counter drop\n" +
				"\t\tiifname { \"p2\", \"p3\" } oifname { \"p1\" } counter drop\n"},
		{"an empty side is left out", filter{sides: [][]string{{"p1"}, nil}}, ""},
		{"loss", filter{loss: 20}, "\t\tnumgen random mod 100 < 20 counter drop\n"},
		{"total loss", filter{loss: 100}, "\t\tcounter drop\n"},
		{"blocks", filter{blocks: [][2][]string{{{"p1"}, {"p2", "p3"}}, {{"p2", "p3"}, {"p1"}}}, loss: 1},
			"\t\tiifname { \"p1\" } oifname { \"p2\", \"p3\" } counter drop\n" +
				"\t\tiifname { \"p2\", \"p3\" } oifname { \"p1\" } counter drop\n" +
				"\t\tnumgen random mod 100 < 1 counter drop\n"},
		{"all at once", filter{isolated: []string{"p1", "p2"}, sides: [][]string{{"p1"}, {"p2"}}, loss: 5},
			"\t\tiifname { \"p1\", \"p2\" } oifname { \"p1\", \"p2\" } counter drop\n" +
				"\t\tiifname { \"p1\" } oifname { \"p2\" } counter drop\n" +
				"\t\tiifname { \"p2\" } oifname { \"p1\" } counter drop\n" +
				"\t\tnumgen random mod 100 < 5 counter drop\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := tc.f.ruleset(), head+tc.want+tail; got != want {
				t.Errorf("ruleset:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestCountDropped(t *testing.T) {
	listing := `table bridge netlab {
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname { "p1", "p2" } oifname { "p1", "p2" } counter packets 7 bytes 420 drop
		numgen random mod 100 < 20 counter packets 35 bytes 2240 drop
	}
}
`
	if got := countDropped(listing); got != 42 {
		t.Errorf("countDropped = %d, want 42", got)
	}
	if got := countDropped("table bridge netlab {\n}\n"); got != 0 {
		t.Errorf("countDropped of a table without rules = %d, want 0", got)
	}
}

func TestOwnerPID(t *testing.T) {
	for _, tc := range []struct {
		ns  string
		pid int
		ok  bool
	}{
		{"stlab-1234-1-h1", 1234, true},
		{"stlab-99-12-site-a", 99, true},
		{"stl-e2e-1234-1-h1", 0, false}, // another test's namespaces
		{"stlab-", 0, false},
		{"stlab-12", 0, false},
		{"stlab-x1-1-h1", 0, false},
		{"stlab-0-1-h1", 0, false},
		{"stlab--5-1-h1", 0, false},
		{"docker-ns", 0, false},
	} {
		pid, ok := ownerPID(tc.ns)
		if pid != tc.pid || ok != tc.ok {
			t.Errorf("ownerPID(%q) = %d, %v; want %d, %v", tc.ns, pid, ok, tc.pid, tc.ok)
		}
	}
}

func TestIdentityAddr(t *testing.T) {
	const p = "12D3KooWELg3vRcwDRACx81NjAsvsmZRjRpQ19PRTkmjib8LjpBg"
	id := Identity{PeerID: p, Addrs: []string{
		"/ip4/10.10.0.10/udp/4001/quic-v1/p2p/" + p,
		"/ip4/10.10.0.100/tcp/4001/p2p/" + p,
		"/ip4/10.10.0.10/tcp/4001/p2p/" + p,
	}}
	got, err := id.Addr("/ip4/10.10.0.10/tcp/")
	if want := "/ip4/10.10.0.10/tcp/4001/p2p/" + p; err != nil || got != want {
		t.Errorf("Addr = %q, %v; want %q", got, err, want)
	}
	if got, err := id.Addr("/ip4/10.10.0.11/tcp/"); err == nil {
		t.Errorf("Addr of an address the node lacks = %q, want an error", got)
	}
	noP2P := Identity{PeerID: p, Addrs: []string{"/ip4/10.10.0.10/tcp/4001"}}
	if got, err := noP2P.Addr("/ip4/10.10.0.10/tcp/"); err == nil {
		t.Errorf("Addr without /p2p/ = %q, want an error", got)
	}
}

func TestMissingFrom(t *testing.T) {
	msgs := []Message{{ID: "a"}, {ID: "c"}}
	got := missingFrom(msgs, []string{"a", "b", "c", "d"})
	if len(got) != 2 || got[0] != "b" || got[1] != "d" {
		t.Errorf("missingFrom = %q, want [b d]", got)
	}
}

func TestLookup(t *testing.T) {
	want := []string{"lan", "isolated", "nat", "partition", "lossy", "holepunch", "holepunch-quic", "relay-restart"}
	for _, name := range want {
		s, ok := Lookup(name)
		if !ok || s.Name != name || s.run == nil || s.Timeout <= 0 || s.Summary == "" {
			t.Errorf("Lookup(%q) = %+v, %v", name, s, ok)
		}
	}
	if n := len(Scenarios()); n != len(want) {
		t.Errorf("%d scenarios, want %d", n, len(want))
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup found a scenario that does not exist")
	}
}

func TestPollReportsTheLastErrorBeforeTheDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	err := poll(ctx, time.Millisecond, func() error {
		calls++
		if calls == 3 {
			cancel()
			return errors.New("cut short by the deadline")
		}
		return fmt.Errorf("condition not met yet (%d)", calls)
	})
	if err == nil || !strings.Contains(err.Error(), "condition not met yet (2)") || !errors.Is(err, context.Canceled) {
		t.Errorf("poll = %v; want the error of the second check and context.Canceled", err)
	}
	if err := poll(t.Context(), time.Millisecond, func() error { return permanent(errExited) }); !errors.Is(err, errExited) {
		t.Errorf("poll with a permanent error = %v, want it at once", err)
	}
}
