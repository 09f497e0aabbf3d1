package catchup

import (
	"slices"
	"sync"

	"starling/message"
	"starling/negentropy"
)

// maxDeletedIDs caps the deleted IDs a Service remembers, in all groups.
const maxDeletedIDs = 4096

// deletedIDs remembers messages this node deleted that a peer delivered
// again in a 2.0.0 session. The initiator asks by riblt key, so it cannot
// tell a deleted message from a missing one before it arrives; a peer that
// keeps what this node deleted (a relay without the group's key cannot
// read the deletion) would send it again every session. Adding these IDs
// to the next sessions' sets cancels the peer's copies out. When the cap
// is reached the oldest group's IDs go; forgetting costs one more fetch.
// The zero value is ready; it is safe for concurrent use.
type deletedIDs struct {
	mu     sync.Mutex
	groups map[message.GroupID]map[message.ID]struct{}
	order  []message.GroupID // groups, oldest first
	n      int
}

// add remembers one deleted ID of a group.
func (d *deletedIDs) add(g message.GroupID, id message.ID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.groups == nil {
		d.groups = make(map[message.GroupID]map[message.ID]struct{})
	}
	ids, ok := d.groups[g]
	if !ok {
		ids = make(map[message.ID]struct{})
		d.groups[g] = ids
		d.order = append(d.order, g)
	}
	if _, dup := ids[id]; dup {
		return
	}
	for d.n >= maxDeletedIDs {
		i := slices.IndexFunc(d.order, func(o message.GroupID) bool { return o != g })
		if i < 0 {
			return // this group holds them all: keep those
		}
		d.n -= len(d.groups[d.order[i]])
		delete(d.groups, d.order[i])
		d.order = slices.Delete(d.order, i, i+1)
	}
	ids[id] = struct{}{}
	d.n++
}

// of returns the remembered IDs of a group.
func (d *deletedIDs) of(g message.GroupID) [][negentropy.IDSize]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([][negentropy.IDSize]byte, 0, len(d.groups[g]))
	for id := range d.groups[g] {
		out = append(out, id)
	}
	return out
}
