package api_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"starling/api"
)

// What the server writes, the client reads back the same, comments and
// unknown events skipped, until the end event says why.
func TestEventStreamRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	msg := api.Message{ID: "ab", Group: "lobby", GroupID: "cd", Text: "line one\nline two\r\n\u2028</script>", Kind: "text", SentAt: at, ReceivedAt: at}
	del := api.Delivery{ID: "ab", Group: "lobby", GroupID: "cd", State: "relayed", Peers: 3, Relays: 1, At: at}
	sent := []api.Event{{Message: &msg}, {Delivery: &del}, {Message: &msg}}

	var stream bytes.Buffer
	if err := api.WriteComment(&stream, "starling event stream"); err != nil {
		t.Fatal(err)
	}
	for i, e := range sent {
		if err := api.WriteEvent(&stream, e); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			api.WriteComment(&stream, "keep-alive")
			stream.WriteString("event: poll\ndata: {\"from\":\"a newer daemon\"}\n\n")
		}
	}
	if err := api.WriteEnd(&stream, "subscriber too slow"); err != nil {
		t.Fatal(err)
	}
	stream.WriteString("event: message\ndata: {\"id\":\"after the end\"}\n\n")

	var got []api.Event
	err := api.ReadEvents(&stream, func(e api.Event) error { got = append(got, e); return nil })
	if !errors.Is(err, api.ErrStreamEnded) || !strings.Contains(err.Error(), "subscriber too slow") {
		t.Errorf("ReadEvents = %v, want %v with the reason", err, api.ErrStreamEnded)
	}
	if !reflect.DeepEqual(got, sent) {
		t.Errorf("read %+v, want %+v", got, sent)
	}
}

// Each line of the stream is one event's data; a stream that stops
// without an end event returns nil; fn's error stops the reading.
func TestEventStreamReading(t *testing.T) {
	for name, c := range map[string]struct {
		stream string
		events int
		err    string
	}{
		"no end":               {"event: delivery\ndata: {\"id\":\"a\"}\n\n", 1, ""},
		"cut before the blank": {"event: delivery\ndata: {\"id\":\"a\"}\n", 0, ""},
		"data over two lines":  {"event: delivery\ndata: {\"id\":\ndata: \"a\"}\n\n", 1, ""},
		"no space after colon": {"event:delivery\ndata:{\"id\":\"a\"}\n\n", 1, ""},
		"bad JSON":             {"event: message\ndata: {\"id\":\n\n", 0, "bad message event"},
		"wrong type":           {"event: delivery\ndata: {\"peers\":\"many\"}\n\n", 0, "bad delivery event"},
		"end without a reason": {"event: end\ndata: null\n\n", 0, "event stream ended: no reason given"},
		"line too long":        {"event: message\ndata: \"" + strings.Repeat("x", 2<<20) + "\"\n\n", 0, "read the event stream"},
		"fn fails":             {"event: delivery\ndata: {}\n\nevent: delivery\ndata: {}\n\n", 1, "enough"},
	} {
		n := 0
		err := api.ReadEvents(strings.NewReader(c.stream), func(api.Event) error {
			n++
			if name == "fn fails" {
				return errors.New("enough")
			}
			return nil
		})
		if n != c.events || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: %d events, %v; want %d events and an error with %q", name, n, err, c.events, c.err)
		}
	}
}

func TestEventStreamWriteRefuses(t *testing.T) {
	if err := api.WriteEvent(io.Discard, api.Event{}); err == nil {
		t.Error("WriteEvent wrote an empty event")
	}
	if err := api.WriteComment(io.Discard, "two\nlines"); err == nil {
		t.Error("WriteComment wrote two lines")
	}
}

// ReadEvents takes any bytes without panicking, and every event it hands
// on has exactly one field set.
func FuzzReadEvents(f *testing.F) {
	f.Add([]byte(": starling event stream\n\nevent: message\ndata: {\"id\":\"a\",\"text\":\"hi\"}\n\n"))
	f.Add([]byte("event: delivery\ndata: {\"id\":\"a\",\"peers\":2}\n\n: keep-alive\n\n"))
	f.Add([]byte("event: end\ndata: {\"error\":\"closed\"}\n\n"))
	f.Add([]byte("event: message\r\ndata: {}\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = api.ReadEvents(bytes.NewReader(b), func(e api.Event) error {
			if (e.Message == nil) == (e.Delivery == nil) {
				t.Fatalf("event %+v has not exactly one field set", e)
			}
			return nil
		})
	})
}
