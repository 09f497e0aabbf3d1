package simhost

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEventsRoundTrip(t *testing.T) {
	at := time.Date(2000, 1, 1, 0, 0, 10, 123456789, time.UTC)
	seven := 7
	in := []Event{
		{T: at, Kind: EventStart, Host: "attendee-0", Peer: "12D3KooW", Zero: at.Add(time.Second)},
		{T: at, Kind: EventSent, Msg: &seven, ID: "ab", Group: "cd"},
		{T: at, Kind: EventSendFailed, Msg: &seven, Group: "lobby", Error: "no such group"},
		{T: at, Kind: EventStored, ID: "ab", Group: "cd", Origin: "gossip"},
		{T: at, Kind: EventLost, Error: "subscriber fell behind"},
		{T: at, Kind: EventStats, Stats: &Counters{BytesIn: 1, BytesOut: 2, Duplicates: 3, CatchupBytes: 4, CatchupSessions: 5, CatchupMessages: 6, QueueDrops: 7}},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, e := range in {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(buf.String(), "\n"); n != len(in) {
		t.Fatalf("%d lines, want %d:\n%s", n, len(in), buf.String())
	}
	out, err := ReadEvents(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i].V = Version
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestReadEventsErrors(t *testing.T) {
	const ok = `{"v":1,"t":"2000-01-01T00:00:01Z","ev":"stored","id":"ab","origin":"gossip"}` + "\n"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"not JSON", ok + "hello\n" + ok, "event line 2"},
		{"other version", `{"v":2,"t":"2000-01-01T00:00:01Z","ev":"lost"}` + "\n", "version 2"},
		{"no time", `{"v":1,"ev":"lost"}` + "\n", "no time"},
		{"unknown kind", `{"v":1,"t":"2000-01-01T00:00:01Z","ev":"boom"}` + "\n", `unknown event "boom"`},
		{"sent without msg", `{"v":1,"t":"2000-01-01T00:00:01Z","ev":"sent","id":"ab"}` + "\n", "without msg"},
		{"stored without origin", `{"v":1,"t":"2000-01-01T00:00:01Z","ev":"stored","id":"ab"}` + "\n", "without id and origin"},
		{"stats without stats", `{"v":1,"t":"2000-01-01T00:00:01Z","ev":"stats"}` + "\n", "without stats"},
		{"line too long", strings.Repeat("x", MaxLine+10) + "\n", "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadEvents(strings.NewReader(tc.in))
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrFormat saying %q", err, tc.want)
			}
		})
	}
}

// A process killed while writing leaves a last line cut short: the events
// before it still count.
func TestReadEventsDropsCutLastLine(t *testing.T) {
	in := `{"v":1,"t":"2000-01-01T00:00:01Z","ev":"lost"}` + "\n" + `{"v":1,"t":"2000-01-01T00:0`
	out, err := ReadEvents(strings.NewReader(in))
	if err != nil || len(out) != 1 {
		t.Fatalf("got %d events, %v; want the one whole line", len(out), err)
	}
	// A whole last line without its newline is kept.
	out, err = ReadEvents(strings.NewReader(strings.TrimSuffix(in[:strings.Index(in, "\n")+1], "\n")))
	if err != nil || len(out) != 1 {
		t.Fatalf("got %d events, %v; want one", len(out), err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterKeepsFirstError(t *testing.T) {
	w := NewWriter(failingWriter{})
	for range 2 {
		if err := w.Write(Event{T: time.Now(), Kind: EventLost}); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("err = %v, want disk full", err)
		}
	}
}
