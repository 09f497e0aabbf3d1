package engine

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

// MessageRecord is an accepted message as the page stores it: index it by
// ID and by (Group, SentAt). Raw is the signed envelope as it travels.
type MessageRecord struct {
	V      int    `json:"v"`
	ID     string `json:"id"`
	Group  string `json:"group"`
	SentAt int64  `json:"sentAt"`
	Kind   string `json:"kind"`
	Raw    []byte `json:"raw"`
}

// View is what the interface shows of a message.
type View struct {
	ID         string `json:"id"`
	Group      string `json:"group"`
	Kind       string `json:"kind"`
	Author     string `json:"author"`
	AuthorKey  string `json:"authorKey"`
	Name       string `json:"name"`
	SentAt     int64  `json:"sentAt"`
	Own        bool   `json:"own"`
	Text       string `json:"text"`
	Ref        string `json:"ref"`
	Emoji      string `json:"emoji"`
	Reason     string `json:"reason"`
	Action     string `json:"action"`
	Target     string `json:"target"`
	Unreadable bool   `json:"unreadable"`
	// Image is a picture's manifest (kind image; Text is its caption),
	// nil for other kinds.
	Image *ImageView `json:"image"`
}

// ImageView is what a picture's manifest says: the phone shows the
// preview (a small JPEG the manifest carries); the picture itself travels
// in chunks fetched by ID (FetchStart, pictures.go).
type ImageView struct {
	Format  string `json:"format"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Size    int    `json:"size"`
	Digest  string `json:"digest"`
	Chunks  int    `json:"chunks"`
	Preview []byte `json:"preview"`
}

// Stored is a message the engine accepted: store Record, show View.
type Stored struct {
	Record MessageRecord `json:"record"`
	View   View          `json:"view"`
}

// Received is what Receive decided, and everything it changed.
type Received struct {
	Verdict   string `json:"verdict"`
	Error     string `json:"error"`
	Code      string `json:"code"`
	Duplicate bool   `json:"duplicate"`
	changes
}

// changes is what accepting messages changed, for the page to act on.
type changes struct {
	Stored  []Stored   `json:"stored"`
	Deleted []string   `json:"deleted"`
	Changed []string   `json:"changed"`
	Publish []Outgoing `json:"publish"`
}

func newChanges() changes {
	return changes{Stored: []Stored{}, Deleted: []string{}, Changed: []string{}, Publish: []Outgoing{}}
}

func (c *changes) changed(g message.GroupID) {
	if s := g.String(); !slices.Contains(c.Changed, s) {
		c.Changed = append(c.Changed, s)
	}
}

// Origins of received envelopes.
const (
	OriginGossip  = "gossip"
	OriginCatchup = "catchup"
)

// Receive judges an envelope from GossipSub (topic is the topic it came on)
// or from elsewhere (topic ""), by the daemon's rules in the daemon's
// order: format, group binding, time, duplicate, body, signature
// (gossip's validator, message.VerdictOf), then the group's State.Check. An
// accepted message is applied and returned in Stored, with whatever waited
// for it.
func (e *Engine) Receive(raw []byte, topic string) Received {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := Received{changes: newChanges()}
	if e.me == nil {
		return r.refuse(message.Ignore, errNoIdentity())
	}
	v, err := e.judgeLocked(raw, topic, &r.changes)
	if errors.Is(err, errDuplicate) {
		r.Duplicate = true
	}
	return r.refuse(v, err)
}

var errDuplicate = errors.New("already held")

func (r Received) refuse(v message.Verdict, err error) Received {
	r.Verdict = v.String()
	if err != nil {
		r.Error = err.Error()
		r.Code = CodeOf(err)
	}
	return r
}

// judgeLocked is Receive's judge.
func (e *Engine) judgeLocked(raw []byte, topic string, c *changes) (message.Verdict, error) {
	m, v, err := e.verifyLocked(raw, topic, e.clock())
	if v != message.Accept {
		return v, err
	}
	j := e.groups[m.Body.Group]
	if j == nil {
		return message.Ignore, errorf(CodeNotJoined, "%v: %s", group.ErrNotJoined, m.Body.Group.Short())
	}
	return e.checkLocked(j, m, c)
}

// verifyLocked applies the stateless rules in gossip's order: format,
// group binding (the topic's group, when topic is set), time, duplicate,
// body, signature; then refuses a picture's chunk, which honest nodes
// never publish nor offer in catch-up (they are fetched by ID).
func (e *Engine) verifyLocked(raw []byte, topic string, now time.Time) (*message.Message, message.Verdict, error) {
	m, err := message.Decode(raw)
	if err != nil {
		return nil, message.VerdictOf(err), err
	}
	if topic != "" {
		var gid message.GroupID
		found := false
		for id, j := range e.groups {
			if j.st.Topic() == topic {
				gid, found = id, true
				break
			}
		}
		switch {
		case !found:
			return nil, message.Ignore, errorf(CodeNotJoined, "topic %q is not joined", topic)
		case m.Body.Group != gid:
			return nil, message.Reject, errorf(CodeBadMessage, "message of group %s on the topic of group %s", m.Body.Group.Short(), gid.Short())
		}
	}
	if err := m.CheckTime(now); err != nil {
		return nil, message.VerdictOf(err), err
	}
	if e.Has(m.ID) {
		return nil, message.Ignore, errDuplicate
	}
	if err := m.CheckBody(); err != nil {
		return nil, message.VerdictOf(err), err
	}
	if err := m.VerifySignature(); err != nil {
		return nil, message.VerdictOf(err), err
	}
	if m.Body.Kind == message.KindImageChunk {
		return nil, message.Reject, errorf(CodeBadMessage, "a picture's chunk arrived by gossip or catch-up")
	}
	return m, message.Accept, nil
}

// checkLocked applies the group's rules to a verified message and accepts
// it, or keeps it waiting when what it needs may come.
func (e *Engine) checkLocked(j *joined, m *message.Message, c *changes) (message.Verdict, error) {
	content, v, err := j.st.Check(m, e.clock())
	if v != message.Accept {
		if v == message.Ignore && waits(err) {
			e.waitLocked(j, m)
		}
		if err == nil {
			err = fmt.Errorf("group rules said %s", v)
		}
		return v, err
	}
	if err := e.acceptLocked(j, m, content, c); err != nil {
		return message.Ignore, err
	}
	return message.Accept, nil
}

// waits reports whether a message Check ignored with err may be accepted
// once the group changes, as the daemon's pending queue decides.
func waits(err error) bool {
	for _, s := range []error{group.ErrStale, group.ErrUnknownKey, group.ErrNotMember, group.ErrUnknownTarget} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func (e *Engine) waitLocked(j *joined, m *message.Message) {
	if slices.ContainsFunc(j.pending, func(p *message.Message) bool { return p.ID == m.ID }) {
		return
	}
	if len(j.pending) >= maxPending {
		j.pending = j.pending[1:]
	}
	j.pending = append(j.pending, m)
}

// acceptLocked holds and applies a message its group accepted, acts on the
// effects as the daemon does (deletions, rechecks, the user's profile once
// the genesis is known) and judges the waiting messages again.
func (e *Engine) acceptLocked(j *joined, m *message.Message, content group.Content, c *changes) error {
	st := j.st
	if content == nil {
		var err error
		if content, err = st.Open(m); err != nil {
			return wrap(err)
		}
	}
	e.heldMu.Lock()
	e.held[m.ID] = held{group: m.Body.Group, author: m.Body.Author, sentAt: m.Body.SentAtMS, kind: m.Body.Kind, raw: m.Raw}
	e.heldMu.Unlock()
	eff := st.Apply(m, content)
	if c == nil {
		return nil
	}
	c.Stored = append(c.Stored, Stored{Record: recordOfMessage(m), View: e.viewLocked(j, m)})
	control := false
	switch m.Body.Kind {
	case message.KindDescriptor, message.KindOp, message.KindOpPart, message.KindProfile, message.KindDelete:
		control = true
	}
	if len(eff.Deleted) > 0 {
		e.deleteLocked(j, eff.Deleted, c)
	}
	if len(eff.Recheck) > 0 {
		e.recheckLocked(j, eff.Recheck, c)
	}
	if eff.DescriptorChanged || eff.NewKey || eff.SelfChanged {
		c.changed(st.ID())
	}
	if eff.DescriptorChanged || eff.NewKey {
		e.profileLocked(j, c)
	}
	if control && len(j.pending) > 0 {
		waiting := j.pending
		j.pending = nil
		for _, p := range waiting {
			if !e.Has(p.ID) {
				e.checkLocked(j, p, c)
			}
		}
	}
	return nil
}

// deleteLocked drops the tombstoned messages held in j's group, never its
// genesis, Ops or parts, which later Ops and late joiners need.
func (e *Engine) deleteLocked(j *joined, ids []message.ID, c *changes) {
	e.heldMu.Lock()
	defer e.heldMu.Unlock()
	for _, id := range ids {
		h, ok := e.held[id]
		if !ok || h.group != j.st.ID() || authority(h.kind) {
			continue
		}
		delete(e.held, id)
		c.Deleted = append(c.Deleted, id.String())
	}
}

func authority(k message.Kind) bool {
	return k == message.KindDescriptor || k == message.KindOp || k == message.KindOpPart
}

// recheckLocked drops the held messages of authors whose standing changed
// that the group no longer accepts (no tombstone: another Op may make them
// valid again, and catch-up then brings them back).
func (e *Engine) recheckLocked(j *joined, authors []ed25519.PublicKey, c *changes) {
	var check []*message.Message
	e.heldMu.RLock()
	for _, h := range e.held {
		if h.group != j.st.ID() || h.kind == message.KindOp || h.kind == message.KindDescriptor {
			continue
		}
		if slices.ContainsFunc(authors, func(a ed25519.PublicKey) bool { return a.Equal(h.author) }) {
			if m, err := message.Decode(h.raw); err == nil {
				check = append(check, m)
			}
		}
	}
	e.heldMu.RUnlock()
	now := e.clock()
	var drop []message.ID
	for _, m := range check {
		if _, v, _ := j.st.Check(m, now); v != message.Accept {
			drop = append(drop, m.ID)
		}
	}
	if len(drop) == 0 {
		return
	}
	e.heldMu.Lock()
	for _, id := range drop {
		delete(e.held, id)
		c.Deleted = append(c.Deleted, id.String())
	}
	e.heldMu.Unlock()
}

func recordOfMessage(m *message.Message) MessageRecord {
	return MessageRecord{V: RecordVersion, ID: m.ID.String(), Group: m.Body.Group.String(), SentAt: int64(m.Body.SentAtMS), Kind: m.Body.Kind.String(), Raw: m.Raw}
}

func refString(id message.ID) string {
	if id.IsZero() {
		return ""
	}
	return id.String()
}

// viewLocked opens m for display.
func (e *Engine) viewLocked(j *joined, m *message.Message) View {
	b := &m.Body
	v := View{
		ID: m.ID.String(), Group: b.Group.String(), Kind: b.Kind.String(),
		Author: string(identity.FingerprintOf(b.Author)), AuthorKey: hex.EncodeToString(b.Author),
		SentAt: int64(b.SentAtMS), Own: e.me != nil && e.me.PublicKey().Equal(b.Author), Ref: refString(b.Ref),
	}
	if p, ok := j.st.Profile(b.Author); ok {
		v.Name = p.Nick
	}
	content, err := j.st.Open(m)
	if err != nil {
		v.Unreadable = true
		return v
	}
	switch c := content.(type) {
	case group.Text:
		v.Text = c.Text
		if v.Name == "" {
			v.Name = c.Nick
		}
	case group.Delete:
		v.Reason, v.Ref = c.Reason, refString(c.Target)
	case group.Reaction:
		v.Emoji, v.Ref = c.Emoji, refString(c.Target)
	case group.Alert:
		v.Text = c.Text
	case group.Image:
		v.Text, v.Ref = c.Caption, refString(c.Ref)
		v.Image = &ImageView{Format: c.Format.String(), Width: c.Width, Height: c.Height, Size: c.Size,
			Digest: hex.EncodeToString(c.Digest[:]), Chunks: len(c.Chunks), Preview: c.Preview}
		if v.Name == "" {
			v.Name = c.Nick
		}
	case group.Profile:
		v.Name = c.Nick
	case group.Descriptor:
		v.Text = c.Name
	case group.Op:
		v.Action = c.Action.ActionName()
		if t := group.Target(c.Action); t != nil {
			v.Target = string(identity.FingerprintOf(t))
		}
		if ban, ok := c.Action.(group.Ban); ok {
			v.Reason = ban.Reason
		}
	}
	return v
}

// View opens a held or stored envelope for display.
func (e *Engine) View(raw []byte) (View, error) {
	m, err := message.Decode(raw)
	if err != nil {
		return View{}, wrap(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.me == nil {
		return View{}, errNoIdentity()
	}
	j := e.groups[m.Body.Group]
	if j == nil {
		return View{}, errorf(CodeNotJoined, "%v: %s", group.ErrNotJoined, m.Body.Group.Short())
	}
	return e.viewLocked(j, m), nil
}
