package engine

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	pb "starling/catchup/catchuppb"
	"starling/catchup/wire"
	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/negentropy"
)

// daemon is a group's owner (or any member) as a laptop node judges and
// makes messages: package group directly, as the node runs it.
type daemon struct {
	u    *identity.User
	st   *group.State
	msgs []*message.Message // what it holds, in order
}

func newOwner(t testing.TB, name string, kind group.Kind) *daemon {
	t.Helper()
	u, err := identity.NewUser(name)
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{u: u}
	d.st, d.msgs, err = group.Create(u, kind, "party", time.Time{}, time.Now(), d.cfg())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *daemon) cfg() group.Config {
	return group.Config{AuthorOf: func(id message.ID) (ed25519.PublicKey, bool) {
		for _, m := range d.msgs {
			if m.ID == id {
				return m.Body.Author, true
			}
		}
		return nil, false
	}}
}

// link is the short invite link the owner hands out (no genesis in it).
func (d *daemon) link(t testing.TB) string {
	t.Helper()
	inv, err := d.st.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Descriptor != nil {
		t.Fatal("the owner's link carries the genesis; the tests want a short link")
	}
	return inv.Link()
}

// post composes and keeps a text.
func (d *daemon) post(t testing.TB, text string) *message.Message {
	t.Helper()
	m, err := d.st.Compose(d.u, group.Text{Text: text, Nick: d.u.Name}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	d.keep(m)
	return m
}

func (d *daemon) keep(ms ...*message.Message) {
	for _, m := range ms {
		if c, err := d.st.Open(m); err == nil {
			d.st.Apply(m, c)
		}
		d.msgs = append(d.msgs, m)
	}
}

// take judges an envelope as the daemon does and keeps it if accepted.
func (d *daemon) take(t *testing.T, raw []byte) message.Verdict {
	t.Helper()
	m, err := message.Verify(raw, time.Now())
	if err != nil {
		return message.VerdictOf(err)
	}
	_, v, _ := d.st.Check(m, time.Now())
	if v == message.Accept {
		d.keep(m)
	}
	return v
}

func mustIdentity(t *testing.T, e *Engine, name string) Me {
	t.Helper()
	_, me, err := e.CreateIdentity(name)
	if err != nil {
		t.Fatal(err)
	}
	return me
}

func mustJoin(t *testing.T, e *Engine, link string) Joined {
	t.Helper()
	j, err := e.Join(link)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	return j
}

// server is the answering side of catch-up 1.1.0 over a set of messages,
// written with the protocol's own packages: what a relay serves. forge, if
// set, replaces each envelope it delivers.
type server struct {
	t      *testing.T
	group  message.GroupID
	msgs   []*message.Message
	forge  func(raw []byte) []byte
	neg    *negentropy.Negentropy
	in     []byte
	pushed [][]byte
}

func newServer(t *testing.T, g message.GroupID, msgs []*message.Message) *server {
	vec := negentropy.NewVector()
	for _, m := range msgs {
		if err := vec.Insert(m.Body.SentAtMS, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := vec.Seal(); err != nil {
		t.Fatal(err)
	}
	neg, err := negentropy.New(vec, negentropy.Config{FrameSizeLimit: 60000})
	if err != nil {
		t.Fatal(err)
	}
	return &server{t: t, group: g, msgs: msgs, neg: neg}
}

// again is the same server for a new session.
func (s *server) again() *server {
	n := newServer(s.t, s.group, s.msgs)
	n.forge = s.forge
	*s = *n
	return s
}

// handle reads the client's bytes and returns the server's answer.
func (s *server) handle(data []byte) []byte {
	t := s.t
	s.in = append(s.in, data...)
	var out []byte
	for {
		r := bytes.NewReader(s.in)
		n, read, err := wire.ReadLength(r)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("server: %v", err)
		}
		if len(s.in) < read+n {
			return out
		}
		f, err := wire.Decode(s.in[read : read+n])
		if err != nil {
			t.Fatalf("server: %v", err)
		}
		s.in = s.in[read+n:]
		out = s.answer(f, out)
	}
}

func (s *server) answer(f *pb.Frame, out []byte) []byte {
	t := s.t
	put := func(f *pb.Frame) {
		var err error
		if out, err = wire.Append(out, f, wire.MaxFrameSize); err != nil {
			t.Fatal(err)
		}
	}
	switch {
	case f.GetHello() != nil:
		if !bytes.Equal(f.GetHello().GetGroupId(), s.group[:]) {
			put(wire.Error("not in group"))
			return out
		}
		next, err := s.neg.Reconcile(f.GetHello().GetNegentropy())
		if err != nil {
			t.Fatal(err)
		}
		put(wire.Reconcile(next))
	case f.GetReconcile() != nil:
		next, err := s.neg.Reconcile(f.GetReconcile().GetNegentropy())
		if err != nil {
			t.Fatal(err)
		}
		put(wire.Reconcile(next))
	case f.GetWant() != nil:
		var envs [][]byte
		for _, id := range f.GetWant().GetIds() {
			i := slices.IndexFunc(s.msgs, func(m *message.Message) bool { return bytes.Equal(m.ID[:], id) })
			if i < 0 {
				t.Fatalf("server: asked for %x, which it never offered", id[:4])
			}
			raw := s.msgs[i].Raw
			if s.forge != nil {
				raw = s.forge(raw)
			}
			envs = append(envs, raw)
		}
		put(wire.Answer(envs, nil))
	case f.GetMessages() != nil:
		s.pushed = append(s.pushed, f.GetMessages().GetEnvelopes()...)
		put(wire.Ack(len(f.GetMessages().GetEnvelopes())))
	case f.GetDone() != nil:
		put(wire.Done())
	default:
		t.Fatalf("server: unexpected %s frame", wire.KindName(f))
	}
	return out
}

// sync runs one session between e and s, feeding the engine the server's
// bytes in chunks of chunk bytes (the stream's chunking is arbitrary), and
// returns everything the session changed and its last Fed.
func runSync(t *testing.T, e *Engine, groupID string, s *server, chunk int) (changes, Fed) {
	t.Helper()
	st, err := e.SyncStart(groupID)
	if err != nil {
		t.Fatalf("sync start: %v", err)
	}
	all := newChanges()
	out := st.Out
	for range 1000 {
		in := s.handle(out)
		if len(in) == 0 {
			t.Fatal("the server has nothing to say: the client is stuck")
		}
		out = nil
		for len(in) > 0 {
			n := min(chunk, len(in))
			f := e.SyncFeed(st.Session, in[:n])
			in = in[n:]
			all.Stored = append(all.Stored, f.Stored...)
			all.Deleted = append(all.Deleted, f.Deleted...)
			all.Changed = append(all.Changed, f.Changed...)
			all.Publish = append(all.Publish, f.Publish...)
			out = append(out, f.Out...)
			if f.Done || f.Error != "" {
				if len(in) > 0 {
					t.Fatalf("%d bytes after the session ended", len(in))
				}
				e.SyncClose(st.Session)
				return all, f
			}
		}
	}
	t.Fatal("the session did not end in 1000 exchanges")
	return all, Fed{}
}

func texts(ss []Stored) []string {
	var out []string
	for _, s := range ss {
		if s.View.Kind == "text" {
			out = append(out, s.View.Text)
		}
	}
	return out
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want code %s", code)
	}
	if got := CodeOf(err); got != code {
		t.Fatalf("error %q has code %s, want %s", err, got, code)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
