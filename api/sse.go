package api

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The event stream (GET /v1/events) is server-sent events
// (text/event-stream), each data one line of JSON:
//
//	: starling event stream
//
//	event: message
//	data: {"id":"…","text":"…",…}
//
//	event: delivery
//	data: {"id":"…","state":"sent",…}
//
//	event: reactions
//	data: {"id":"…","reactions":[{"emoji":"👍","count":2}],…}
//
//	: keep-alive
//
//	event: end
//	data: {"error":"subscriber too slow"}
//
// Comments (lines that start with a colon) carry nothing: the first says
// the subscription is live, the others keep an idle connection open. An
// "end" event says why the daemon ended the stream. The server writes the
// stream with the Write functions below and clients read it with
// ReadEvents, so the two cannot drift apart.

// Event names on the stream.
const (
	eventMessage   = "message"
	eventDelivery  = "delivery"
	eventReactions = "reactions"
	eventEnd       = "end"
)

// maxEventLine bounds one line of the stream: a message holds at most
// 16 KiB of text, which JSON escapes to at most six bytes a byte.
const maxEventLine = 1 << 20

// ErrStreamEnded means the daemon ended an event stream.
var ErrStreamEnded = errors.New("event stream ended")

// errReadStream marks a failure to read the stream itself (the connection
// broke), as opposed to what was read.
var errReadStream = errors.New("read the event stream")

// errEmptyEvent: an Event with no field set.
var errEmptyEvent = errors.New("api: an event with no message, delivery or reactions")

// Name is the event's name on the stream: "message", "delivery" or
// "reactions" ("" for an Event with no field set).
func (e Event) Name() string {
	switch {
	case e.Message != nil:
		return eventMessage
	case e.Delivery != nil:
		return eventDelivery
	case e.Reactions != nil:
		return eventReactions
	}
	return ""
}

// Data is the JSON of the event's one field: the data of its line on the
// stream.
func (e Event) Data() (json.RawMessage, error) {
	var v any
	switch {
	case e.Message != nil:
		v = e.Message
	case e.Delivery != nil:
		v = e.Delivery
	case e.Reactions != nil:
		v = e.Reactions
	default:
		return nil, errEmptyEvent
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode a %s event: %w", e.Name(), err)
	}
	return b, nil
}

// WriteEvent writes e as one event.
func WriteEvent(w io.Writer, e Event) error {
	data, err := e.Data()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Name(), data)
	return err
}

// WriteEnd writes the event that ends a stream, with the reason.
func WriteEnd(w io.Writer, reason string) error {
	b, err := json.Marshal(Error{Error: reason})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", eventEnd, b)
	return err
}

// WriteComment writes a comment, which readers skip: the first line of a
// stream, and keep-alives that let clients and proxies tell a quiet group
// from a dead daemon. text must be one line.
func WriteComment(w io.Writer, text string) error {
	if strings.ContainsAny(text, "\r\n") {
		return fmt.Errorf("api: comment %q is more than one line", text)
	}
	_, err := fmt.Fprintf(w, ": %s\n\n", text)
	return err
}

// ReadEvents reads an event stream and calls fn with each event until r
// ends (nil), fn fails (its error), or the stream's end event comes (an
// error wrapping ErrStreamEnded with the daemon's reason). It skips
// comments and events it does not know, so an older client reads a newer
// daemon's stream; a known event whose data does not decode is an error.
func ReadEvents(r io.Reader, fn func(Event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxEventLine)
	var name string
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if data != nil {
				if err := dispatch(name, strings.Join(data, "\n"), fn); err != nil {
					return err
				}
			}
			name, data = "", nil
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "": // a comment
		case "event":
			name = value
		case "data":
			data = append(data, value)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %w", errReadStream, err)
	}
	return nil
}

// dispatch decodes one event and hands it to fn.
func dispatch(name, data string, fn func(Event) error) error {
	var e Event
	var err error
	switch name {
	case eventMessage:
		e.Message = new(Message)
		err = json.Unmarshal([]byte(data), e.Message)
	case eventDelivery:
		e.Delivery = new(Delivery)
		err = json.Unmarshal([]byte(data), e.Delivery)
	case eventReactions:
		e.Reactions = new(ReactionsUpdate)
		err = json.Unmarshal([]byte(data), e.Reactions)
	case eventEnd:
		var why Error
		if json.Unmarshal([]byte(data), &why) != nil || why.Error == "" {
			why.Error = "no reason given"
		}
		return fmt.Errorf("%w: %s", ErrStreamEnded, why.Error)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("bad %s event from the daemon: %w", name, err)
	}
	return fn(e)
}
