package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	pb "starling/catchup/catchuppb"
	"starling/catchup/wire"
	"starling/message"
	"starling/negentropy"
)

// CatchupProtocol is the protocol a Session speaks: catch-up 1.1.0
// (Negentropy), which every node serves.
const CatchupProtocol = wire.ProtocolV1

// Session limits: the daemon's catch-up defaults (catchup.Config).
const (
	sessionBatch      = 128   // IDs per Want, envelopes per push
	sessionFrameLimit = 60000 // Negentropy messages this side builds
	sessionMaxRounds  = 64
	sessionMaxPending = 1 << 16
	// maxSessions bounds the sessions open at once: a page that forgets to
	// close them loses the oldest, not its memory.
	maxSessions = 64
)

type sessionState int

const (
	stReconcile sessionState = iota
	stFetch                  // a Want is out
	stPush                   // pushed envelopes await their Ack
	stDone                   // Done is out; the peer's Done ends it
	stOver
)

// Session is the client side of one catch-up session with one peer for one
// group: Feed it what the stream delivers and write what it answers.
type Session struct {
	id    int
	group message.GroupID
	neg   *negentropy.Negentropy
	state sessionState
	in    []byte // bytes received and not yet framed

	have, need [][negentropy.IDSize]byte // from reconciliation
	want       [][negentropy.IDSize]byte // the Want in flight
	pushed     int                       // envelopes in the push in flight
	result     SyncResult
}

// SyncResult reports a session that ended well.
type SyncResult struct {
	Fetched  int  `json:"fetched"`
	Ignored  int  `json:"ignored"`
	Gone     int  `json:"gone"`
	Skipped  int  `json:"skipped"`
	Pushed   int  `json:"pushed"`
	Rounds   int  `json:"rounds"`
	Complete bool `json:"complete"`
}

// SyncStarted is a new session and its first bytes to write.
type SyncStarted struct {
	Session int    `json:"session"`
	Out     []byte `json:"out"`
}

// Fed is what a Feed produced.
type Fed struct {
	Out    []byte      `json:"out"`
	Done   bool        `json:"done"`
	Error  string      `json:"error"`
	Code   string      `json:"code"`
	Result *SyncResult `json:"result"`
	changes
}

// SyncStart opens a session for a joined group over the messages the engine
// holds of it.
func (e *Engine) SyncStart(groupID string) (SyncStarted, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	j, err := e.groupLocked(groupID)
	if err != nil {
		return SyncStarted{}, err
	}
	vec := negentropy.NewVector()
	e.heldMu.RLock()
	for id, h := range e.held {
		if h.group == j.st.ID() {
			if err := vec.Insert(h.sentAt, id); err != nil {
				e.heldMu.RUnlock()
				return SyncStarted{}, errorf(CodeInternal, "catch-up: %v", err)
			}
		}
	}
	e.heldMu.RUnlock()
	if err := vec.Seal(); err != nil {
		return SyncStarted{}, errorf(CodeInternal, "catch-up: %v", err)
	}
	neg, err := negentropy.New(vec, negentropy.Config{FrameSizeLimit: sessionFrameLimit, MaxMessageSize: wire.MaxFrameSize})
	if err != nil {
		return SyncStarted{}, errorf(CodeInternal, "catch-up: %v", err)
	}
	first, err := neg.Initiate()
	if err != nil {
		return SyncStarted{}, errorf(CodeInternal, "catch-up: %v", err)
	}
	gid := j.st.ID()
	out, err := wire.Append(nil, wire.Hello(gid[:], first), wire.MaxFrameSize)
	if err != nil {
		return SyncStarted{}, errorf(CodeInternal, "catch-up: %v", err)
	}
	e.nextSess++
	s := &Session{id: e.nextSess, group: gid, neg: neg}
	if len(e.sessions) >= maxSessions {
		oldest := s.id
		for id := range e.sessions {
			oldest = min(oldest, id)
		}
		delete(e.sessions, oldest)
	}
	e.sessions[s.id] = s
	return SyncStarted{Session: s.id, Out: out}, nil
}

// SyncClose forgets a session (ended, failed or abandoned).
func (e *Engine) SyncClose(session int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.sessions, session)
}

// SyncFeed takes bytes the session's stream delivered, in any chunking,
// and returns the bytes to write, what it stored, and whether the session
// ended (Done, or Error with Code: protocol when the peer broke the
// protocol or sent a message the rules reject; close the stream then).
func (e *Engine) SyncFeed(session int, data []byte) Fed {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := Fed{Out: []byte{}, changes: newChanges()}
	s := e.sessions[session]
	if s == nil {
		f.Error, f.Code = fmt.Sprintf("no catch-up session %d", session), CodeBadArgument
		return f
	}
	if s.state == stOver {
		f.Error, f.Code = "the catch-up session is over", CodeBadArgument
		return f
	}
	s.in = append(s.in, data...)
	for f.Error == "" && s.state != stOver {
		frame, ok, err := s.nextFrame()
		if err != nil {
			e.fail(s, &f, err)
			break
		}
		if !ok {
			break
		}
		if err := e.step(s, frame, &f); err != nil {
			e.fail(s, &f, err)
		}
	}
	if s.state == stOver && f.Error == "" {
		f.Done = true
		res := s.result
		f.Result = &res
		delete(e.sessions, s.id)
	}
	return f
}

func (e *Engine) fail(s *Session, f *Fed, err error) {
	s.state = stOver
	delete(e.sessions, s.id)
	f.Error, f.Code = "catch-up of group "+s.group.Short()+": "+err.Error(), CodeOf(err)
}

// nextFrame takes one whole frame from the buffer, if there is one.
func (s *Session) nextFrame() (*pb.Frame, bool, error) {
	r := bytes.NewReader(s.in)
	n, read, err := wire.ReadLength(r)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, false, nil // more to come
		}
		return nil, false, protocolError(err)
	}
	if len(s.in) < read+n {
		return nil, false, nil
	}
	body := s.in[read : read+n]
	frame, err := wire.Decode(body)
	s.in = s.in[read+n:]
	if len(s.in) == 0 {
		s.in = nil // do not keep a large buffer for a held session
	}
	if err != nil {
		return nil, false, protocolError(err)
	}
	return frame, true, nil
}

func protocolError(err error) *Error {
	return &Error{Code: CodeProtocol, Err: fmt.Errorf("the peer broke the protocol: %w", err)}
}

func protocolErrorf(format string, args ...any) *Error {
	return protocolError(fmt.Errorf(format, args...))
}

func (e *Engine) write(f *Fed, frame *pb.Frame) error {
	out, err := wire.Append(f.Out, frame, wire.MaxFrameSize)
	if err != nil {
		return errorf(CodeInternal, "%v", err)
	}
	f.Out = out
	return nil
}

// step advances the session by one frame of the peer's.
func (e *Engine) step(s *Session, frame *pb.Frame, f *Fed) error {
	if er := frame.GetError(); er != nil {
		reason := er.GetReason()
		if len(reason) > 200 {
			reason = reason[:200]
		}
		return errorf(CodeNotJoined, "the peer ended the session: %q", reason)
	}
	switch s.state {
	case stReconcile:
		rec := frame.GetReconcile()
		if rec == nil {
			return protocolErrorf("%s frame during reconciliation", wire.KindName(frame))
		}
		s.result.Rounds++
		next, have, need, err := s.neg.ReconcileClient(rec.GetNegentropy())
		if errors.Is(err, negentropy.ErrMalformed) {
			return protocolError(err)
		} else if err != nil {
			return errorf(CodeInternal, "%v", err)
		}
		s.have, s.need = append(s.have, have...), append(s.need, need...)
		switch {
		case next == nil:
			s.result.Complete = true
		case s.result.Rounds >= sessionMaxRounds || len(s.need) >= sessionMaxPending:
		default:
			return e.write(f, wire.Reconcile(next))
		}
		e.skipHeld(s)
		return e.nextWant(s, f)
	case stFetch:
		msgs := frame.GetMessages()
		if msgs == nil {
			return protocolErrorf("%s frame in answer to Want", wire.KindName(frame))
		}
		if err := e.answered(s, msgs, f); err != nil {
			return err
		}
		return e.nextWant(s, f)
	case stPush:
		ack := frame.GetAck()
		switch {
		case ack == nil:
			return protocolErrorf("%s frame in answer to pushed messages", wire.KindName(frame))
		case int64(ack.GetStored()) > int64(s.pushed):
			return protocolErrorf("Ack of %d messages for %d pushed", ack.GetStored(), s.pushed)
		}
		s.result.Pushed += int(ack.GetStored())
		return e.nextPush(s, f)
	case stDone:
		if frame.GetDone() == nil {
			return protocolErrorf("%s frame instead of Done", wire.KindName(frame))
		}
		s.state = stOver
		return nil
	}
	return protocolErrorf("%s frame after the session ended", wire.KindName(frame))
}

// skipHeld leaves out of what to fetch what the engine holds meanwhile or
// its group deleted.
func (e *Engine) skipHeld(s *Session) {
	j := e.groups[s.group]
	kept := s.need[:0]
	for _, id := range s.need {
		if e.Has(message.ID(id)) || (j != nil && j.st.Deleted(message.ID(id))) {
			s.result.Skipped++
			continue
		}
		kept = append(kept, id)
	}
	s.need = kept
}

// nextWant asks for the next batch, or starts pushing when none is left.
func (e *Engine) nextWant(s *Session, f *Fed) error {
	if len(s.need) == 0 {
		return e.nextPush(s, f)
	}
	s.want = s.need[:min(len(s.need), sessionBatch)]
	ids := make([][]byte, len(s.want))
	for i := range s.want {
		ids[i] = s.want[i][:]
	}
	s.state = stFetch
	return e.write(f, wire.Want(ids))
}

// answered checks an answer to the Want in flight as the daemon's client
// does, then judges every envelope before accepting any: a batch with one
// envelope the rules reject stores nothing and ends the session.
func (e *Engine) answered(s *Session, msgs *pb.Messages, f *Fed) error {
	envs, gone := msgs.GetEnvelopes(), msgs.GetGone()
	switch {
	case len(envs)+len(gone) == 0:
		return protocolErrorf("asked for %d messages it claimed, got none", len(s.want))
	case len(envs)+len(gone) > len(s.want):
		return protocolErrorf("asked for %d messages, got %d and %d gone", len(s.want), len(envs), len(gone))
	}
	got := make([]message.ID, len(envs))
	for i, raw := range envs {
		if len(raw) > message.MaxEnvelopeSize {
			return protocolErrorf("envelope of %d bytes, limit %d", len(raw), message.MaxEnvelopeSize)
		}
		id, err := message.IDOf(raw)
		if err != nil {
			return protocolError(err)
		}
		got[i] = id
	}
	n, err := wire.MatchAnswer(s.want, got, gone)
	if err != nil {
		return protocolError(err)
	}
	if err := e.admit(s, envs, f); err != nil {
		return err
	}
	s.result.Gone += len(gone)
	s.need = s.need[n:]
	return nil
}

type judged struct {
	m       *message.Message
	verdict message.Verdict
	err     error
}

// admit judges a batch by Receive's rules, then accepts it.
func (e *Engine) admit(s *Session, envs [][]byte, f *Fed) error {
	j := e.groups[s.group]
	if j == nil {
		return errorf(CodeNotJoined, "the group was left during catch-up")
	}
	now := e.clock()
	out := make([]judged, len(envs))
	for i, raw := range envs {
		m, v, err := e.verifyLocked(raw, "", now)
		switch {
		case errors.Is(err, errDuplicate):
			out[i] = judged{verdict: message.Ignore, err: err}
			continue
		case v == message.Accept && m.Body.Group != s.group:
			v, err = message.Reject, fmt.Errorf("message %s of group %s in a session for group %s", m.ID.Short(), m.Body.Group.Short(), s.group.Short())
		case v == message.Accept:
			_, v, err = j.st.Check(m, now)
		}
		if v == message.Reject {
			return protocolErrorf("message %s: %v", message.ID(got(raw)).Short(), err)
		}
		out[i] = judged{m: m, verdict: v, err: err}
	}
	for _, x := range out {
		if x.verdict == message.Ignore && x.m != nil && waits(x.err) {
			e.waitLocked(j, x.m)
		}
	}
	for _, x := range out {
		switch {
		case x.verdict == message.Accept && !e.Has(x.m.ID):
			if err := e.acceptLocked(j, x.m, nil, &f.changes); err != nil {
				s.result.Ignored++
				continue
			}
			s.result.Fetched++
		case x.verdict == message.Accept || errors.Is(x.err, errDuplicate):
			s.result.Fetched++
		default:
			s.result.Ignored++
		}
	}
	return nil
}

func got(raw []byte) message.ID {
	id, _ := message.IDOf(raw)
	return id
}

// nextPush pushes the next batch of what the peer lacks, or sends Done.
func (e *Engine) nextPush(s *Session, f *Fed) error {
	var (
		envs [][]byte
		size int
	)
	e.heldMu.RLock()
	for len(s.have) > 0 {
		h, ok := e.held[message.ID(s.have[0])]
		if !ok || h.group != s.group {
			s.have = s.have[1:]
			continue
		}
		next := wire.MessagesSize(size, len(h.raw))
		if len(envs) > 0 && (len(envs) == sessionBatch || wire.MessagesFrameSize(next) > wire.MaxFrameSize) {
			break
		}
		envs, size = append(envs, h.raw), next
		s.have = s.have[1:]
	}
	e.heldMu.RUnlock()
	if len(envs) > 0 {
		s.state, s.pushed = stPush, len(envs)
		return e.write(f, wire.Messages(envs))
	}
	s.state = stDone
	return e.write(f, wire.Done())
}
