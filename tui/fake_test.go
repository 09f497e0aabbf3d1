package tui

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"starling/api"
	"starling/identity"
)

// fakeClient is a daemon in memory: a status, each group's history (oldest
// first) and a record of every call that changes something.
type fakeClient struct {
	mu        sync.Mutex
	status    api.Status
	statusErr error
	history   map[string][]api.Message
	// cursors records the cursor of every history read ("" for newest).
	cursors []string

	sent    []string // "groupID: text"
	sendRes func(groupID, text string) (api.SendResponse, error)
	joined  []string
	created []string // "name/kind"
	blocks  []string // "fingerprint/mode"
	joinErr error

	// watch, when set, serves Watch; otherwise Watch opens and waits for
	// ctx.
	watch func(ctx context.Context, opened func(), fn func(api.Event) error) error
}

func newFake(groups ...api.Group) *fakeClient {
	return &fakeClient{
		status:  api.Status{Fingerprint: person("me").fp, Name: "me", Peers: 1, Groups: groups},
		history: map[string][]api.Message{},
	}
}

func (f *fakeClient) Status(context.Context) (api.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.status
	st.Groups = slices.Clone(st.Groups)
	return st, f.statusErr
}

func (f *fakeClient) Group(_ context.Context, ref string) (api.GroupDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, g := range f.status.Groups {
		if g.ID == ref || g.Name == ref {
			return api.GroupDetail{Group: g}, nil
		}
	}
	return api.GroupDetail{}, &api.APIError{Status: 404, Message: "not joined: " + ref}
}

// History pages backwards from the newest; a cursor is the index where the
// previous page started.
func (f *fakeClient) History(_ context.Context, ref string, limit int, newest bool, cursor string) (api.Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cursors = append(f.cursors, cursor)
	if !newest {
		return api.Page{}, errors.New("fake: only newest-first paging")
	}
	msgs := f.history[ref]
	end := len(msgs)
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil {
			return api.Page{}, err
		}
		end = n
	}
	start := max(0, end-limit)
	page := api.Page{Messages: slices.Clone(msgs[start:end])}
	slices.Reverse(page.Messages)
	if start > 0 {
		page.Next = strconv.Itoa(start)
	}
	return page, nil
}

func (f *fakeClient) Send(_ context.Context, ref, text string) (api.SendResponse, error) {
	f.mu.Lock()
	f.sent = append(f.sent, ref+": "+text)
	res := f.sendRes
	f.mu.Unlock()
	if res == nil {
		return api.SendResponse{}, errors.New("fake: no send result set")
	}
	return res(ref, text)
}

func (f *fakeClient) Watch(ctx context.Context, _ string, opened func(), fn func(api.Event) error) error {
	f.mu.Lock()
	w := f.watch
	f.mu.Unlock()
	if w != nil {
		return w(ctx, opened, fn)
	}
	opened()
	<-ctx.Done()
	return ctx.Err()
}

func (f *fakeClient) Join(_ context.Context, name string) (api.Group, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.joined = append(f.joined, name)
	if f.joinErr != nil {
		return api.Group{}, f.joinErr
	}
	g := api.Group{ID: groupID(name), Name: name, Kind: "open"}
	f.status.Groups = append(f.status.Groups, g)
	return g, nil
}

func (f *fakeClient) CreateGroup(_ context.Context, name, kind string, _ *time.Time) (api.GroupDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, name+"/"+kind)
	g := api.Group{ID: groupID(name), Name: name, Kind: kind}
	f.status.Groups = append(f.status.Groups, g)
	return api.GroupDetail{Group: g}, nil
}

func (f *fakeClient) Invite(_ context.Context, ref string, _ []string) (string, error) {
	return "starling://join/" + ref, nil
}

func (f *fakeClient) Block(_ context.Context, fp, mode string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocks = append(f.blocks, fp+"/"+mode)
	return nil
}

// calls returns a copy of one of the fake's records.
func (f *fakeClient) calls(which *[]string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(*which)
}

// identityOf is a test person: a real key, its fingerprint and nickname.
type identityOf struct {
	nick, fp, key string
}

// person derives a key from seed, so the same seed is the same author.
func person(seed string) identityOf {
	s := sha256.Sum256([]byte(seed))
	pub := ed25519.NewKeyFromSeed(s[:]).Public().(ed25519.PublicKey)
	return identityOf{nick: seed, fp: string(identity.FingerprintOf(pub)), key: hex.EncodeToString(pub)}
}

func groupID(name string) string {
	s := sha256.Sum256([]byte("group " + name))
	return hex.EncodeToString(s[:])
}

// t0 is when the test conversations take place.
var t0 = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

// text is a text message by who in group, sent minutes after t0.
func text(group string, who identityOf, minutes int, body string) api.Message {
	at := t0.Add(time.Duration(minutes) * time.Minute)
	id := sha256.Sum256(fmt.Appendf(nil, "%s %s %d %s", group, who.fp, minutes, body))
	return api.Message{
		ID: hex.EncodeToString(id[:]), Group: group, GroupID: groupID(group),
		Author: who.fp, AuthorKey: who.key, Name: who.nick,
		SentAt: at, ReceivedAt: at, Kind: "text", Text: body, Origin: "gossip",
	}
}
