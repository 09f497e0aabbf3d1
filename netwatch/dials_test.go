package netwatch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	refused := &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}
	timeout := fmt.Errorf("dial: %w", context.DeadlineExceeded)
	for _, c := range []struct {
		err  error
		want Reason
	}{
		{nil, ""},
		{refused, ReasonRefused},
		{fmt.Errorf("tcp: %w", syscall.ENETUNREACH), ReasonUnreachable},
		{fmt.Errorf("tcp: %w", syscall.EHOSTUNREACH), ReasonUnreachable},
		{timeout, ReasonTimeout},
		{os.ErrDeadlineExceeded, ReasonTimeout},
		{errors.New("peer id mismatch"), ReasonOther},
		// One address refused, another timed out: refused says more.
		{errors.Join(timeout, refused), ReasonRefused},
	} {
		if got := Classify(c.err); got != c.want {
			t.Errorf("Classify(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestDials(t *testing.T) {
	d := NewDials()
	d.Dialed("p1", false, "", nil, t0)
	d.Dialed("relay", true, ReasonRefused, errors.New("connection\n  refused"), t0)
	for i := range recentMax + 3 {
		d.Dialed(fmt.Sprint("p", i), false, ReasonTimeout, errors.New("timeout"), t0.Add(time.Duration(i)))
	}
	d.Reserved("relay2", errors.New("permission denied"), t0)
	d.Probed("p3", true, ReasonTimeout, errors.New("i/o timeout"), t0)
	d.Probed("p4", false, ReasonRefused, errors.New("refused"), t0)
	d.Probed("p5", true, "", nil, t0)

	dials, probes, relays := d.Report()
	if dials.Attempts != recentMax+5 || dials.Failures != recentMax+4 {
		t.Errorf("attempts %d failures %d", dials.Attempts, dials.Failures)
	}
	if dials.ByReason[ReasonTimeout] != recentMax+3 || dials.ByReason[ReasonRefused] != 1 {
		t.Errorf("by reason %v", dials.ByReason)
	}
	if len(dials.Recent) != recentMax || dials.Recent[0].Peer != fmt.Sprint("p", recentMax+2) {
		t.Errorf("recent %v: want %d, newest first", dials.Recent, recentMax)
	}
	if r := relays["relay"]; r.DialReason != ReasonRefused || r.DialError != "connection refused" {
		t.Errorf("relay: %+v, want the refusal on one line", r)
	}
	if r := relays["relay2"]; r.ReservationError != "permission denied" {
		t.Errorf("relay2: %+v", r)
	}
	if probes.Tried != 3 || probes.Failed != 2 || probes.SameLAN != 1 || probes.Succeeded != 1 || probes.Last.Peer != "p4" {
		t.Errorf("probes %+v", probes)
	}

	// Success clears a relay's failure.
	d.Dialed("relay", true, "", nil, t0)
	d.Reserved("relay2", nil, t0)
	if _, _, relays := d.Report(); len(relays) != 0 {
		t.Errorf("relays after success: %v", relays)
	}
	// The report is a copy.
	dials.ByReason[ReasonOther] = 99
	if again, _, _ := d.Report(); again.ByReason[ReasonOther] != 0 {
		t.Error("the report shares its map with the counters")
	}
}
