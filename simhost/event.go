package simhost

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Version is the version of the event and script formats. A reader refuses
// lines of any other version.
const Version = 1

// Event kinds.
const (
	// EventStart: the node runs. Host and Peer are set, and Zero when the
	// script's start was given (--script-start): the scenario's zero.
	EventStart = "start"
	// EventSent: a scripted send succeeded; t is when it started. Msg,
	// ID and Group are set.
	EventSent = "sent"
	// EventSendFailed: a scripted send failed. Msg and Error are set.
	EventSendFailed = "send-failed"
	// EventStored: the node stored a message (its own included); t is its
	// received time. ID, Group and Origin (own, gossip or catchup) are set.
	EventStored = "stored"
	// EventLost: the log missed stored messages (the subscription fell
	// behind); Error says how. A report built on this log undercounts.
	EventLost = "lost"
	// EventStats: the node's counters as it stops; Stats is set.
	EventStats = "stats"
)

// Event is one line of an event log.
type Event struct {
	V    int       `json:"v"`
	T    time.Time `json:"t"`
	Kind string    `json:"ev"`
	Host string    `json:"host,omitempty"`
	Peer string    `json:"peer,omitempty"`
	// Zero is the script's start, on a start event.
	Zero  time.Time `json:"zero,omitzero"`
	Msg   *int      `json:"msg,omitempty"`
	ID    string    `json:"id,omitempty"`
	Group string    `json:"group,omitempty"`
	// Origin is the store's word for how a message came: own, gossip or
	// catchup.
	Origin string    `json:"origin,omitempty"`
	Error  string    `json:"error,omitempty"`
	Stats  *Counters `json:"stats,omitempty"`
}

// Counters are a node's totals, in the report's terms.
type Counters struct {
	// BytesIn and BytesOut count libp2p stream bytes (every protocol),
	// without the transport's own framing and encryption.
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
	// Duplicates are gossip copies of messages already seen or stored.
	Duplicates int64 `json:"duplicates"`
	// CatchupBytes are the catch-up protocol's stream bytes, both ways.
	CatchupBytes int64 `json:"catchup_bytes"`
	// CatchupSessions and CatchupMessages are the sessions this node
	// answered and the messages it sent in them.
	CatchupSessions uint64 `json:"catchup_sessions"`
	CatchupMessages uint64 `json:"catchup_messages"`
	// QueueDrops are messages and RPCs GossipSub dropped on full queues.
	QueueDrops uint64 `json:"queue_drops"`
}

// ErrFormat wraps every problem with an event log or a script: the message
// names the line.
var ErrFormat = errors.New("simhost: bad format")

// Writer writes events as JSON lines. It is safe for concurrent use; each
// event is flushed as written, so a killed process loses at most the line
// it was writing.
type Writer struct {
	mu  sync.Mutex
	w   *bufio.Writer
	enc *json.Encoder
	err error // the first write error; later writes are skipped
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer {
	bw := bufio.NewWriter(w)
	return &Writer{w: bw, enc: json.NewEncoder(bw)}
}

// Write writes e with V set to Version, and returns the first error any
// write met.
func (w *Writer) Write(e Event) error {
	e.V = Version
	e.T = e.T.UTC()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = w.enc.Encode(e)
	}
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

// MaxLine bounds one line of an event log or a script.
const MaxLine = 1 << 20

// ReadEvents reads an event log. A line that is not an event of this
// Version, or lacks its kind's fields, is an error naming its number; a
// last line cut short (a killed process) is dropped.
func ReadEvents(r io.Reader) ([]Event, error) {
	var out []Event
	err := readLines(r, func(n int, line []byte, last bool) error {
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			if last {
				return nil
			}
			return fmt.Errorf("%w: event line %d: %v", ErrFormat, n, err)
		}
		if err := e.check(); err != nil {
			return fmt.Errorf("%w: event line %d: %v", ErrFormat, n, err)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

func (e Event) check() error {
	if e.V != Version {
		return fmt.Errorf("version %d, this reader knows %d", e.V, Version)
	}
	if e.T.IsZero() {
		return errors.New("no time (t)")
	}
	need := func(ok bool, field string) error {
		if !ok {
			return fmt.Errorf("a %q event without %s", e.Kind, field)
		}
		return nil
	}
	switch e.Kind {
	case EventStart:
		return need(e.Host != "" && e.Peer != "", "host and peer")
	case EventSent:
		return need(e.Msg != nil && e.ID != "", "msg and id")
	case EventSendFailed:
		return need(e.Msg != nil, "msg")
	case EventStored:
		return need(e.ID != "" && e.Origin != "", "id and origin")
	case EventLost:
		return nil
	case EventStats:
		return need(e.Stats != nil, "stats")
	default:
		return fmt.Errorf("unknown event %q", e.Kind)
	}
}

// readLines calls fn with every non-empty line (numbered from 1), saying
// whether it is the last and lacks its newline.
func readLines(r io.Reader, fn func(n int, line []byte, cut bool) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if len(line) > 0 {
			cut := errors.Is(err, io.EOF)
			if ferr := fn(n, line, cut); ferr != nil {
				return ferr
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
}

// readLine reads one line without its newline, refusing lines longer than
// MaxLine. At the end it returns what is left with io.EOF.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxLine {
			return nil, fmt.Errorf("%w: a line is longer than %d bytes", ErrFormat, MaxLine)
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return line, err
		}
	}
}
