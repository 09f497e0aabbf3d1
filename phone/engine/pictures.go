package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"starling/group"
	"starling/media"
	"starling/message"
)

// FetchProtocol is the protocol a fetch request speaks: fetch by ID, one
// stream per request (catchup.FetchProtocolID; package catchup links
// libp2p, which the engine does not, so a test checks the two agree).
const FetchProtocol = "/starling/fetch/1.0.0"

// maxFetchIDs caps the IDs of one request (catchup.MaxFetchIDs).
const maxFetchIDs = 8

// Picture limits.
const (
	// maxPictures bounds the pictures whose chunks the engine keeps in
	// memory (each at most media.MaxImageSize): the page keeps the chunk
	// records and gives them back with TakeChunks.
	maxPictures = 8
	// maxBroken bounds the pictures remembered as broken.
	maxBroken = 1024
	// maxFetches bounds the fetch sessions open at once.
	maxFetches = 64
)

// Codes of picture errors.
const (
	CodeNotPicture = "not-picture"
	CodeBroken     = "broken"
	CodeNotHeld    = "not-held"
)

// picture is what the engine holds of one picture's chunks.
type picture struct {
	data [][]byte // by the manifest's order, nil where missing
	held int
	seq  int // for eviction, oldest first
}

// pictureSession is the client side of one fetch request.
type pictureSession struct {
	id       int
	manifest message.ID
	want     []message.ID
	answered int
	in       []byte
}

// PictureStatus is what the engine holds of a picture.
type PictureStatus struct {
	Manifest string `json:"manifest"`
	Held     int    `json:"held"`
	Chunks   int    `json:"chunks"`
	Broken   bool   `json:"broken"`
	Complete bool   `json:"complete"`
}

// FetchStarted is a new fetch request: write Out on a stream of
// Protocol, then feed the stream's bytes to FetchFeed. Session 0 (and no
// Out) when nothing is missing or the picture is broken.
type FetchStarted struct {
	Session  int    `json:"session"`
	Protocol string `json:"protocol"`
	Out      []byte `json:"out"`
	Asked    int    `json:"asked"`
	PictureStatus
}

// FetchFed is what a FetchFeed produced. Records are the chunks taken:
// store them (by ID, with their manifest) and give them back with
// TakeChunks after a reload. Deleted: chunk records to drop (the picture is
// broken).
type FetchFed struct {
	Done    bool            `json:"done"`
	Error   string          `json:"error"`
	Code    string          `json:"code"`
	Got     int             `json:"got"`
	Records []MessageRecord `json:"records"`
	Deleted []string        `json:"deleted"`
	PictureStatus
}

// Picture is an assembled picture, checked against its manifest.
type Picture struct {
	Data   []byte `json:"data"`
	Format string `json:"format"`
	Mime   string `json:"mime"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// manifestLocked returns a held picture manifest and its group.
func (e *Engine) manifestLocked(manifestID string) (*message.Message, *joined, group.Image, error) {
	if e.me == nil {
		return nil, nil, group.Image{}, errNoIdentity()
	}
	id, err := message.ParseID(manifestID)
	if err != nil {
		return nil, nil, group.Image{}, errorf(CodeBadArgument, "manifest ID: %v", err)
	}
	e.heldMu.RLock()
	h, ok := e.held[id]
	e.heldMu.RUnlock()
	if !ok {
		return nil, nil, group.Image{}, errorf(CodeNotPicture, "%v: message %s is not held", media.ErrNotPicture, id.Short())
	}
	if h.kind != message.KindImage {
		return nil, nil, group.Image{}, errorf(CodeNotPicture, "%v: message %s is a %s", media.ErrNotPicture, id.Short(), h.kind)
	}
	j := e.groups[h.group]
	if j == nil {
		return nil, nil, group.Image{}, errorf(CodeNotJoined, "%v: %s", group.ErrNotJoined, h.group.Short())
	}
	m, err := message.Decode(h.raw)
	if err != nil {
		return nil, nil, group.Image{}, errorf(CodeInternal, "held manifest: %v", err)
	}
	c, err := j.st.Open(m)
	if err != nil {
		return nil, nil, group.Image{}, wrap(err)
	}
	im, ok := c.(group.Image)
	if !ok {
		return nil, nil, group.Image{}, errorf(CodeNotPicture, "%v: message %s", media.ErrNotPicture, id.Short())
	}
	return m, j, im, nil
}

// pictureLocked returns the chunks held of a picture, making room.
func (e *Engine) pictureLocked(id message.ID, n int) *picture {
	if p := e.pics[id]; p != nil {
		return p
	}
	if len(e.pics) >= maxPictures {
		var oldest message.ID
		seq := -1
		for k, p := range e.pics {
			if seq < 0 || p.seq < seq {
				oldest, seq = k, p.seq
			}
		}
		delete(e.pics, oldest)
	}
	e.picSeq++
	p := &picture{data: make([][]byte, n), seq: e.picSeq}
	e.pics[id] = p
	return p
}

func (e *Engine) statusLocked(id message.ID, im group.Image) PictureStatus {
	s := PictureStatus{Manifest: id.String(), Chunks: len(im.Chunks), Broken: e.broken[id]}
	if p := e.pics[id]; p != nil && !s.Broken {
		s.Held = p.held
	}
	s.Complete = !s.Broken && s.Held == s.Chunks
	return s
}

// markBrokenLocked remembers a picture as broken and drops its chunks: the
// author is to blame (a chunk's ID is the hash of what its author signed).
func (e *Engine) markBrokenLocked(id message.ID, im group.Image, deleted *[]string) {
	if len(e.broken) >= maxBroken {
		for k := range e.broken {
			delete(e.broken, k)
			break
		}
	}
	e.broken[id] = true
	delete(e.pics, id)
	for _, c := range im.Chunks {
		*deleted = append(*deleted, c.String())
	}
}

// FetchStart opens a fetch request for the chunks of the picture whose
// manifest is manifestID that the engine lacks, at most
// catchup.MaxFetchIDs of them.
func (e *Engine) FetchStart(manifestID string) (FetchStarted, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	man, _, im, err := e.manifestLocked(manifestID)
	if err != nil {
		return FetchStarted{}, err
	}
	st := e.statusLocked(man.ID, im)
	f := FetchStarted{Protocol: FetchProtocol, Out: []byte{}, PictureStatus: st}
	if st.Broken || st.Complete {
		return f, nil
	}
	p := e.pictureLocked(man.ID, len(im.Chunks))
	var want []message.ID
	for i, c := range im.Chunks {
		if p.data[i] == nil && len(want) < maxFetchIDs {
			want = append(want, c)
		}
	}
	g := man.Body.Group
	out := append([]byte{}, g[:]...)
	out = append(out, byte(len(want)))
	for _, id := range want {
		out = append(out, id[:]...)
	}
	e.nextSess++
	s := &pictureSession{id: e.nextSess, manifest: man.ID, want: want}
	if len(e.fetches) >= maxFetches {
		oldest := s.id
		for id := range e.fetches {
			oldest = min(oldest, id)
		}
		delete(e.fetches, oldest)
	}
	e.fetches[s.id] = s
	f.Session, f.Out, f.Asked = s.id, out, len(want)
	return f, nil
}

// FetchClose forgets a fetch request (ended, failed or abandoned).
func (e *Engine) FetchClose(session int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.fetches, session)
}

// FetchFeed takes bytes the request's stream delivered, in any chunking:
// an answer per ID asked, in order (uvarint length, then the envelope;
// length 0 for one the peer lacks). Each chunk is judged against its
// manifest as the daemon's pictures package does. Done once every answer
// is read; Code protocol when the peer broke the protocol (a message other
// than the one asked for, one that breaks the message rules), broken when
// the picture's author did (a chunk that is not its manifest's).
func (e *Engine) FetchFeed(session int, data []byte) FetchFed {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := FetchFed{Records: []MessageRecord{}, Deleted: []string{}}
	s := e.fetches[session]
	if s == nil {
		f.Error, f.Code = fmt.Sprintf("no fetch session %d", session), CodeBadArgument
		return f
	}
	man, j, im, err := e.manifestLocked(s.manifest.String())
	if err != nil {
		delete(e.fetches, session)
		f.Error, f.Code = err.Error(), CodeOf(err)
		return f
	}
	fail := func(err error) FetchFed {
		delete(e.fetches, session)
		f.Error, f.Code = "fetch of picture "+man.ID.Short()+": "+err.Error(), CodeOf(err)
		f.PictureStatus = e.statusLocked(man.ID, im)
		return f
	}
	s.in = append(s.in, data...)
	for s.answered < len(s.want) {
		n, read := binary.Uvarint(s.in)
		if read == 0 {
			break // more to come
		}
		if read < 0 || n > message.MaxEnvelopeSize {
			return fail(protocolErrorf("an answer longer than %d bytes", message.MaxEnvelopeSize))
		}
		if len(s.in) < read+int(n) {
			break
		}
		raw := bytes.Clone(s.in[read : read+int(n)])
		s.in = s.in[read+int(n):]
		want := s.want[s.answered]
		s.answered++
		if n == 0 {
			continue
		}
		if id, err := message.IDOf(raw); err != nil || id != want {
			return fail(protocolErrorf("bad fetch answer: answered %s with another message", want.Short()))
		}
		rec, err := e.takeChunkLocked(man, j, im, raw, &f.Deleted)
		if err != nil {
			return fail(err)
		}
		if rec != nil {
			f.Records = append(f.Records, *rec)
			f.Got++
		}
	}
	if s.answered == len(s.want) {
		if len(s.in) > 0 {
			return fail(protocolErrorf("%d bytes after the last answer", len(s.in)))
		}
		f.Done = true
		delete(e.fetches, session)
	}
	f.PictureStatus = e.statusLocked(man.ID, im)
	return f
}

// takeChunkLocked judges a chunk against its manifest as the daemon's
// pictures.Service.takeChunk does: the stateless rules (a failure is the
// sender's fault: code protocol), then the manifest's (author, group,
// sent_at, epoch, expiry, length: a failure is the author's, and the
// picture is broken: code broken), then the group's rules. It returns the
// chunk's record, nil for a chunk already held.
func (e *Engine) takeChunkLocked(man *message.Message, j *joined, im group.Image, raw []byte, deleted *[]string) (*MessageRecord, error) {
	if e.broken[man.ID] {
		return nil, errorf(CodeBroken, "%v", media.ErrBroken)
	}
	m, err := message.VerifyTimeless(raw)
	if err != nil {
		return nil, protocolErrorf("a fetched chunk breaks the message rules: %v", err)
	}
	i := im.Index(m.ID)
	if i < 0 {
		return nil, protocolErrorf("chunk %s is not listed by manifest %s", m.ID.Short(), man.ID.Short())
	}
	if !group.ChunkOfManifest(man, m) {
		e.markBrokenLocked(man.ID, im, deleted)
		return nil, errorf(CodeBroken, "%v: chunk %d is not its manifest's (kind, author, group, time, epoch or expiry)", media.ErrBroken, i+1)
	}
	c, v, err := j.st.Check(m, e.clock())
	if v != message.Accept {
		if err == nil {
			err = fmt.Errorf("group rules said %s", v)
		}
		return nil, wrap(fmt.Errorf("chunk %d: %w", i+1, err))
	}
	ch, ok := c.(group.ImageChunk)
	if !ok {
		return nil, errorf(CodeUnreadable, "chunk %d has no content this phone can read", i+1)
	}
	if err := im.CheckChunk(i, ch.Data); err != nil {
		e.markBrokenLocked(man.ID, im, deleted)
		return nil, errorf(CodeBroken, "%v: %v", media.ErrBroken, err)
	}
	p := e.pictureLocked(man.ID, len(im.Chunks))
	if p.data[i] != nil {
		return nil, nil
	}
	p.data[i] = ch.Data
	p.held++
	rec := recordOfMessage(m)
	return &rec, nil
}

// TakeChunks gives the engine chunk records the page stored (after a
// reload), judged as FetchFeed judges fetched ones: storage is not trusted
// more than the network. A chunk that fails is left out (code broken ends
// it: drop the picture's records).
func (e *Engine) TakeChunks(manifestID string, raws [][]byte) (FetchFed, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	man, j, im, err := e.manifestLocked(manifestID)
	if err != nil {
		return FetchFed{}, err
	}
	f := FetchFed{Done: true, Records: []MessageRecord{}, Deleted: []string{}}
	for _, raw := range raws {
		rec, err := e.takeChunkLocked(man, j, im, raw, &f.Deleted)
		if CodeOf(err) == CodeBroken {
			f.Error, f.Code = err.Error(), CodeBroken
			break
		}
		if rec != nil {
			f.Got++
		}
	}
	f.PictureStatus = e.statusLocked(man.ID, im)
	return f, nil
}

// PictureOf assembles a picture whose chunks the engine holds and checks it
// against its manifest (length, digest, canonical form, format and size,
// media.Assemble). A picture that fails is broken: its chunks are dropped
// (the error's code is broken; drop their records too).
func (e *Engine) PictureOf(manifestID string) (Picture, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	man, _, im, err := e.manifestLocked(manifestID)
	if err != nil {
		return Picture{}, err
	}
	st := e.statusLocked(man.ID, im)
	switch {
	case st.Broken:
		return Picture{}, errorf(CodeBroken, "%v", media.ErrBroken)
	case !st.Complete:
		return Picture{}, errorf(CodeNotHeld, "%v: %d of %d chunks", media.ErrNotHeld, st.Held, st.Chunks)
	}
	data, err := media.Assemble(&im.Manifest, e.pics[man.ID].data)
	if err != nil {
		var deleted []string
		e.markBrokenLocked(man.ID, im, &deleted)
		return Picture{}, errorf(CodeBroken, "%v: %v", media.ErrBroken, err)
	}
	return Picture{Data: data, Format: im.Format.String(), Mime: im.Format.MIMEType(), Width: im.Width, Height: im.Height}, nil
}
