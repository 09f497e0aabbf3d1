package simhost

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"
)

// Send is one line of a script: a message to send at a time.
type Send struct {
	// At is the send's time after the script's start.
	At time.Duration
	// Group names the group as `starling send` takes it: a channel's name
	// or a group's ID.
	Group string
	// Msg is the simulator's index of the planned message; the sent event
	// repeats it.
	Msg int
	// Text is what to send.
	Text string
}

// sendLine is Send as a line of JSON: At as a Go duration ("10.5s").
type sendLine struct {
	At    string `json:"at"`
	Group string `json:"group"`
	Msg   *int   `json:"msg"`
	Text  string `json:"text"`
}

// MaxScriptSends bounds a script, so that a wrong file cannot keep a node
// busy for ever.
const MaxScriptSends = 1_000_000

// ReadScript reads a script and returns its sends in time order. Every
// line needs at (a duration of at least 0), group, msg and a text.
func ReadScript(r io.Reader) ([]Send, error) {
	var out []Send
	err := readLines(r, func(n int, line []byte, _ bool) error {
		if len(out) == MaxScriptSends {
			return fmt.Errorf("%w: script line %d: more than %d sends", ErrFormat, n, MaxScriptSends)
		}
		var l sendLine
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return fmt.Errorf("%w: script line %d: %v", ErrFormat, n, err)
		}
		at, err := time.ParseDuration(l.At)
		switch {
		case err != nil:
			return fmt.Errorf("%w: script line %d: at %q: want a duration such as 10.5s", ErrFormat, n, l.At)
		case at < 0:
			return fmt.Errorf("%w: script line %d: at %s is before the start", ErrFormat, n, l.At)
		case l.Group == "":
			return fmt.Errorf("%w: script line %d: no group", ErrFormat, n)
		case l.Msg == nil || *l.Msg < 0:
			return fmt.Errorf("%w: script line %d: no msg (the planned message's index, 0 or more)", ErrFormat, n)
		case l.Text == "":
			return fmt.Errorf("%w: script line %d: no text", ErrFormat, n)
		}
		out = append(out, Send{At: at, Group: l.Group, Msg: *l.Msg, Text: l.Text})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Send) int { return cmp.Compare(a.At, b.At) })
	return out, nil
}

// WriteScript writes sends as a script, one JSON line each.
func WriteScript(w io.Writer, sends []Send) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, s := range sends {
		msg := s.Msg
		if err := enc.Encode(sendLine{At: s.At.String(), Group: s.Group, Msg: &msg, Text: s.Text}); err != nil {
			return err
		}
	}
	return bw.Flush()
}
