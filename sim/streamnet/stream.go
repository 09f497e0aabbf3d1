package streamnet

import (
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

var (
	// errReadClosed is a local reset of the reading direction, as
	// libp2p's QUIC streams' CloseRead (CancelRead) leaves it.
	errReadClosed  = &network.StreamError{ErrorCode: 0, TransportError: errors.New("streamnet: read on a stream closed for reading")}
	errWriteClosed = errors.New("streamnet: write on a stream closed for writing")
)

// stream is one end of a stream: what arrived and waits to be read, and
// the state of both directions.
type stream struct {
	c  *conn
	id uint64

	// wake tells a waiting reader that something changed: data, the end,
	// a reset or a new deadline.
	wake chan struct{}

	mu          sync.Mutex
	chunks      [][]byte // arrived, unread
	off         int      // read from chunks[0]
	finRecv     bool     // the other end will write no more
	stopRecv    uint32   // the other end will read no more: its code plus one
	err         error    // reset by either end, or the connection failed
	readClosed  bool
	writeClosed bool
	rdl, wdl    time.Time
	forgotten   bool
	// writing, while a write waits for the uplink, is closed when the
	// stream can be written no more (reset, the other end stopped reading,
	// the connection failed) or its write deadline moves.
	writing chan struct{}
}

var _ network.MuxedStream = (*stream)(nil)

func newStream(c *conn, id uint64) *stream {
	return &stream{c: c, id: id, wake: make(chan struct{}, 1)}
}

func (s *stream) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *stream) Read(b []byte) (int, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		s.mu.Lock()
		switch {
		case s.err != nil:
			s.mu.Unlock()
			return 0, s.err
		case s.readClosed:
			s.mu.Unlock()
			return 0, errReadClosed
		case !s.rdl.IsZero() && !time.Now().Before(s.rdl): // as QUIC's, with bytes waiting too
			s.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		case len(s.chunks) > 0:
			n := s.take(b)
			s.forgetIfDone() // read up to the end
			s.mu.Unlock()
			return n, nil
		case s.finRecv:
			s.forgetIfDone()
			s.mu.Unlock()
			return 0, io.EOF
		}
		dl := s.rdl
		s.mu.Unlock()
		var expired <-chan time.Time
		if !dl.IsZero() {
			d := time.Until(dl) // > 0, seen above
			if timer == nil {
				timer = time.NewTimer(d)
			} else {
				timer.Reset(d)
			}
			expired = timer.C
		}
		select {
		case <-s.wake:
		case <-expired:
		}
	}
}

// take copies unread bytes into b. Call with mu.
func (s *stream) take(b []byte) int {
	n := 0
	for n < len(b) && len(s.chunks) > 0 {
		k := copy(b[n:], s.chunks[0][s.off:])
		n += k
		s.off += k
		if s.off == len(s.chunks[0]) {
			s.chunks[0] = nil
			s.chunks = s.chunks[1:]
			s.off = 0
		}
	}
	if len(s.chunks) == 0 {
		s.chunks = nil
	}
	return n
}

func (s *stream) Write(b []byte) (int, error) {
	if err := s.writable(); err != nil {
		return 0, err
	}
	data := make([]byte, len(b))
	copy(data, b)
	left := s.c.out.send(frame{kind: frameData, stream: s.id, data: data})
	// The bytes are on their way; the write returns when no more than a
	// send buffer's worth of the uplink's time is queued before them (or
	// at the write deadline, or when the stream or connection fails).
	if time.Until(left) <= SendBuffer {
		return len(b), nil
	}
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		wait := time.Until(left) - SendBuffer
		s.mu.Lock()
		dl := s.wdl
		if s.writing == nil {
			s.writing = make(chan struct{})
		}
		writing := s.writing
		failed := s.err != nil || s.stopRecv > 0 // since writable: unblock has been
		s.mu.Unlock()
		if !dl.IsZero() {
			wait = min(wait, time.Until(dl))
		}
		if wait <= 0 || failed {
			break
		}
		if t == nil {
			t = time.NewTimer(wait)
		} else {
			t.Reset(wait)
		}
		select {
		case <-t.C:
		case <-s.c.closed:
			// The connection's error, also for a stream it no longer
			// holds (both directions closed during the write), which
			// fail never reaches.
			if err := s.writable(); err != nil {
				return len(b), err
			}
			return len(b), s.c.closeErr()
		case <-writing: // failed, or a new deadline: look again
		}
	}
	return len(b), s.writable()
}

// unblock wakes the writes that wait: the stream can be written no more,
// or its write deadline moved. Call with mu.
func (s *stream) unblock() {
	if s.writing != nil {
		close(s.writing)
		s.writing = nil
	}
}

func (s *stream) writable() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.err != nil:
		return s.err
	case s.writeClosed:
		return errWriteClosed
	case s.stopRecv > 0:
		return &network.StreamError{ErrorCode: network.StreamErrorCode(s.stopRecv - 1), Remote: true}
	case !s.wdl.IsZero() && !time.Now().Before(s.wdl):
		return os.ErrDeadlineExceeded
	}
	return nil
}

func (s *stream) Close() error {
	err := s.CloseWrite()
	if rerr := s.CloseRead(); err == nil {
		err = rerr
	}
	return err
}

func (s *stream) CloseWrite() error {
	s.mu.Lock()
	if s.err != nil || s.writeClosed {
		s.mu.Unlock()
		return nil
	}
	s.writeClosed = true
	s.forgetIfDone()
	s.mu.Unlock()
	s.c.out.send(frame{kind: frameFin, stream: s.id})
	return nil
}

func (s *stream) CloseRead() error {
	s.mu.Lock()
	if s.err != nil || s.readClosed {
		s.mu.Unlock()
		return nil
	}
	s.readClosed = true
	s.chunks, s.off = nil, 0
	tell := !s.finRecv
	s.forgetIfDone()
	s.mu.Unlock()
	s.signal()
	if tell {
		s.c.out.send(frame{kind: frameStop, stream: s.id})
	}
	return nil
}

func (s *stream) Reset() error { return s.ResetWithError(0) }

func (s *stream) ResetWithError(code network.StreamErrorCode) error {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return nil
	}
	s.err = &network.StreamError{ErrorCode: code}
	s.chunks, s.off = nil, 0
	s.unblock()
	s.forgetIfDone()
	s.mu.Unlock()
	s.signal()
	s.c.out.send(frame{kind: frameReset, stream: s.id, code: uint32(code)})
	return nil
}

func (s *stream) SetDeadline(t time.Time) error {
	s.mu.Lock()
	s.rdl, s.wdl = t, t
	s.unblock()
	s.mu.Unlock()
	s.signal()
	return nil
}

func (s *stream) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	s.rdl = t
	s.mu.Unlock()
	s.signal()
	return nil
}

func (s *stream) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	s.wdl = t
	s.unblock()
	s.mu.Unlock()
	return nil
}

// receive takes a frame of this stream from the other end.
func (s *stream) receive(f frame) {
	reset := false
	s.mu.Lock()
	switch f.kind {
	case frameData:
		if s.err == nil && !s.readClosed && len(f.data) > 0 {
			s.chunks = append(s.chunks, f.data)
		}
	case frameFin:
		s.finRecv = true
	case frameStop:
		s.stopRecv = f.code + 1
		s.unblock()
	case frameReset:
		if s.err == nil {
			s.err = &network.StreamError{ErrorCode: network.StreamErrorCode(f.code), Remote: true}
			s.chunks, s.off = nil, 0
			s.unblock()
			reset = true
		}
	}
	s.forgetIfDone()
	s.mu.Unlock()
	s.signal()
	if reset {
		s.c.out.forgetStream(s.id) // this end sends no more on it
	}
}

// fail ends the stream with its connection's err.
func (s *stream) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
		s.chunks, s.off = nil, 0
		s.unblock()
	}
	s.forgotten = true // the connection has dropped all its streams
	s.mu.Unlock()
	s.signal()
}

// forgetIfDone drops the stream from its connection once both directions
// are over. Call with mu.
func (s *stream) forgetIfDone() {
	if s.forgotten {
		return
	}
	sent := s.err != nil || s.writeClosed || s.stopRecv > 0
	got := s.err != nil || s.readClosed || (s.finRecv && len(s.chunks) == 0)
	if sent && got {
		s.forgotten = true
		s.c.forget(s.id) // lock order: a stream's mu, then its conn's
	}
}
