package tui

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"starling/api"
)

// entry is one line of a conversation: a message from the store, or a note
// this chat shows locally (help, an invite link), which has no ID.
type entry struct {
	msg      api.Message
	delivery *api.Delivery // own messages: where it went
	// deletedBy is the fingerprint of whoever deleted the message, with
	// deleteReason; the text is no longer shown.
	deletedBy, deleteReason string
	note                    string // a local note (msg is zero but SentAt)
}

// conversation is what this chat holds of one group: messages in
// (sent_at, id) order, the store's own order, so that a message that
// arrives late (by catch-up) lands where it was written.
type conversation struct {
	groupID string
	entries []*entry
	byID    map[string]*entry

	// loaded: the newest page was read. older continues backwards through
	// the store; complete: nothing is older than entries[0].
	loaded, complete, loading bool
	older                     string
	// stale: the event stream was down, so the newest page must be read
	// again when the conversation is next shown.
	stale bool

	// authors maps each author seen here (fingerprint) to their latest
	// nickname; kept when their messages are hidden, so /unblock finds them.
	authors map[string]string
	// pendingDelete and pendingDelivery hold news about messages not loaded
	// (yet): a deletion or delivery event can overtake its message.
	pendingDelete   map[string]*api.Message
	pendingDelivery map[string]api.Delivery

	// offset is how many lines the view is scrolled up from the bottom;
	// unseen counts messages that arrived below while scrolled up.
	offset, unseen int
}

func newConversation(groupID string) *conversation {
	return &conversation{
		groupID:         groupID,
		byID:            map[string]*entry{},
		authors:         map[string]string{},
		pendingDelete:   map[string]*api.Message{},
		pendingDelivery: map[string]api.Delivery{},
	}
}

// before orders entries as the store does: by sent_at, then ID. Local notes
// carry only a time.
func before(a, b *entry) int {
	return cmp.Or(a.msg.SentAt.Compare(b.msg.SentAt), strings.Compare(a.msg.ID, b.msg.ID))
}

// add puts a message where it belongs. A message already held is updated
// (its delivery, say); a deletion marks its target; other control messages
// show as notes of what happened. It returns the entry and whether it is
// new and placed before the newest entry (a late arrival in the middle).
func (c *conversation) add(m api.Message) (e *entry, isNew, inMiddle bool) {
	if m.Author != "" {
		if m.Name != "" || c.authors[m.Author] == "" {
			c.authors[m.Author] = m.Name
		}
	}
	if m.Kind == "delete" && m.Ref != "" {
		c.markDeleted(m.Ref, &m)
		return nil, false, false
	}
	if old, ok := c.byID[m.ID]; ok {
		if m.Delivery != nil {
			old.setDelivery(*m.Delivery)
		}
		return old, false, false
	}
	e = &entry{msg: m}
	if m.Delivery != nil {
		e.setDelivery(*m.Delivery)
	}
	if d, ok := c.pendingDelivery[m.ID]; ok {
		e.setDelivery(d)
		delete(c.pendingDelivery, m.ID)
	}
	if del, ok := c.pendingDelete[m.ID]; ok {
		e.deletedBy, e.deleteReason = del.Author, del.Text
		delete(c.pendingDelete, m.ID)
	}
	i, _ := slices.BinarySearchFunc(c.entries, e, before)
	c.entries = slices.Insert(c.entries, i, e)
	c.byID[m.ID] = e
	return e, true, i < len(c.entries)-1
}

// note adds a local note at time at.
func (c *conversation) note(at time.Time, text string) {
	e := &entry{note: text, msg: api.Message{SentAt: at}}
	i, _ := slices.BinarySearchFunc(c.entries, e, before)
	c.entries = slices.Insert(c.entries, i, e)
}

func (c *conversation) markDeleted(id string, del *api.Message) {
	if e, ok := c.byID[id]; ok {
		e.deletedBy, e.deleteReason = del.Author, del.Text
		return
	}
	if len(c.pendingDelete) < maxPending {
		c.pendingDelete[id] = del
	}
}

// maxPending bounds the news held for messages not loaded; past it, news is
// dropped (the message then shows as the store has it when loaded).
const maxPending = 1000

// deliver records a delivery update for one of this user's messages.
func (c *conversation) deliver(d api.Delivery) {
	if e, ok := c.byID[d.ID]; ok {
		e.setDelivery(d)
		return
	}
	if old, ok := c.pendingDelivery[d.ID]; ok && newer(old, d) == old {
		return
	}
	if len(c.pendingDelivery) < maxPending {
		c.pendingDelivery[d.ID] = d
	}
}

func (e *entry) setDelivery(d api.Delivery) {
	if e.delivery == nil {
		e.delivery = &d
		return
	}
	n := newer(*e.delivery, d)
	e.delivery = &n
}

// deliveryRank orders states as they progress; refused ends a message that
// never left this device.
var deliveryRank = map[string]int{"queued": 0, "sent": 1, "relayed": 2, "refused": 3}

// newer picks the later of two reports on one message: by time, then by
// progress. Reports built from a send's answer carry no time, so any event
// from the daemon supersedes them.
func newer(a, b api.Delivery) api.Delivery {
	switch a.At.Compare(b.At) {
	case -1:
		return b
	case 1:
		return a
	}
	if deliveryRank[b.State] > deliveryRank[a.State] || (b.State == a.State && b.Peers+b.Relays > a.Peers+a.Relays) {
		return b
	}
	return a
}

// hide removes an author's messages (after a block or mute) and returns
// how many went.
func (c *conversation) hide(author string) int {
	n := len(c.entries)
	c.entries = slices.DeleteFunc(c.entries, func(e *entry) bool {
		if e.note == "" && e.msg.Author == author {
			delete(c.byID, e.msg.ID)
			return true
		}
		return false
	})
	return n - len(c.entries)
}

// reset forgets the messages, keeping what is known of the authors; the
// next page read starts afresh.
func (c *conversation) reset() {
	c.entries, c.byID = nil, map[string]*entry{}
	c.loaded, c.complete, c.older, c.offset, c.unseen = false, false, "", 0, 0
}

// sharedNicks returns the nicknames more than one author of this group
// uses: those names get a short fingerprint beside them.
func (c *conversation) sharedNicks() map[string]bool {
	seen := map[string]string{}
	shared := map[string]bool{}
	for fp, nick := range c.authors {
		key := strings.ToLower(nick)
		if other, ok := seen[key]; ok && other != fp {
			shared[key] = true
		}
		seen[key] = fp
	}
	return shared
}

// author is one person a /block NAME could mean.
type author struct{ fingerprint, nick string }

// findAuthors returns the authors in authors whose nickname is name (case
// folded, an @ before it allowed) or whose fingerprint starts with it (at
// least 4 characters; spaces ignored), sorted by fingerprint.
func findAuthors(authors map[string]string, name string) []author {
	name = strings.TrimPrefix(strings.TrimSpace(name), "@")
	prefix := strings.ToLower(strings.ReplaceAll(name, " ", ""))
	var out []author
	for fp, nick := range authors {
		if strings.EqualFold(nick, name) || (len(prefix) >= 4 && strings.HasPrefix(strings.ToLower(fp), prefix)) {
			out = append(out, author{fp, nick})
		}
	}
	slices.SortFunc(out, func(a, b author) int { return strings.Compare(a.fingerprint, b.fingerprint) })
	return out
}
