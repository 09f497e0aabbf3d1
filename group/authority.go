package group

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"fmt"
	"slices"

	"starling/message"
)

// The authority of a created group.
//
// Everything that changes who may do what in a created group is an Op: a
// signed message that names, as its parents, the heads of the operations its
// author knew (and, at the root, the group's genesis descriptor). The Ops of
// a group form a DAG, and the group's authority is a function of the set of
// Ops a node holds, whatever the order they arrived in:
//
//  1. Order. The Ops whose ancestors are all known are sorted by depth, then
//     by ID: a topological order every node computes alike.
//  2. The owner. The genesis names the owner, who can lose nothing. The
//     owner's Ops are valid whenever they are well formed.
//  3. Admins. Only the owner grants or takes the admin role (SetRole), and
//     removing or banning someone takes it too. So whether X is an admin in
//     a set of Ops depends on the owner's Ops alone: X is one if some grant
//     of X comes after every revocation of X in the set ("revocation wins":
//     a grant concurrent with a revocation does not count).
//  4. Validity. An admin's Op is valid if its author is an admin in its own
//     history (its ancestors), it does not exceed an admin's power (it does
//     not touch the owner or another admin's standing) and no owner Op that
//     revokes its author is concurrent with it. So a former admin who signs
//     Ops on top of an older state, where they were still an admin, gets
//     nothing: those Ops are concurrent with their revocation. Such Ops are
//     kept as whiteouts (later Ops may name them) but change nothing, and
//     whatever an Op drew from them, it loses. Anything else is invalid.
//  5. Merge. Of the valid Ops: bans and removals stand unless a later Unban
//     or re-adding Add has them in its history (concurrent ones lose); the
//     poster role likewise; two removals remove both; settings come from the
//     newest valid Settings (concurrent ones: the lowest ID). An admin in
//     the merged state cannot be banned or removed by another admin: the
//     owner's concurrent grant outranks them.
//  6. Keys. In a private group every valid Remove carries a fresh epoch key
//     for the other members. A key is clean when no removed member is among
//     those valid Ops delivered it to (epoch 1's, which every link gave,
//     while nobody is removed): members seal with the clean key of the
//     highest epoch (ties: the lowest Op ID). Two removals of different
//     members that crossed leave no clean key (each delivered its key to
//     the other's target) until an admin rekeys; two of the same member
//     both are.
//  7. Parts. An Op takes effect once all its parts are known.
//  8. Cuts. Every revocation lists (in its parts) the revoked member's
//     messages that its author held: those stay valid; anything else the
//     member signed is refused, however it is dated, by every node.
//
// Because validity depends only on history and on the owner's Ops, and the
// owner's Ops are always valid, there is no cycle to break: one pass in
// topological order decides everything.

// anode is the genesis or an Op in the authority DAG.
type anode struct {
	id      message.ID
	m       *message.Message
	author  key32
	sentAt  uint64
	genesis *Descriptor // set for the genesis
	op      Op
	parts   []*OpPart // one slot per op.Parts, nil until known
	// entries indexes the key entries of its known parts by member.
	entries map[key32]*KeyEntry

	// Set by resolve.
	idx      int    // position in topological order; -1 while not connected
	depth    int    // longest path from a genesis
	anc      bitset // ancestors' indexes
	maxEpoch uint64 // the highest fresh epoch in its history and itself
	bad      error  // why it is invalid whatever else is known
	valid    bool
	void     bool // valid in its own history, but its author was revoked concurrently
}

// before reports whether n is an ancestor of o or o itself.
func (n *anode) before(o *anode) bool { return n == o || o.anc.has(n.idx) }

// complete reports whether every part of n is known.
func (n *anode) complete() bool {
	for _, p := range n.parts {
		if p == nil {
			return false
		}
	}
	return true
}

// authority holds a group's genesis and Ops and resolves them.
type authority struct {
	kind  Kind
	owner key32
	// k1 is the ID of the epoch-1 key (private groups, when the secret is
	// known), so that an Op sharing it can be checked.
	k1    *KeyID
	nodes map[message.ID]*anode

	dirty bool
	order []*anode // connected nodes in topological order
	v     *view
}

func newAuthority(kind Kind, owner ed25519.PublicKey, k1 *KeyID) *authority {
	a := &authority{kind: kind, k1: k1, nodes: map[message.ID]*anode{}, dirty: true}
	if len(owner) == 32 {
		a.owner = key32(owner)
	}
	return a
}

// add records a genesis or an Op; it reports false if it was known.
func (a *authority) add(m *message.Message, c Content) bool {
	if _, ok := a.nodes[m.ID]; ok {
		return false
	}
	n := &anode{id: m.ID, m: m, author: key32(m.Body.Author), sentAt: m.Body.SentAtMS, idx: -1}
	switch c := c.(type) {
	case Descriptor:
		d := c.clone()
		n.genesis = &d
	case Op:
		n.op = c
		n.parts = make([]*OpPart, len(c.Parts))
	default:
		return false
	}
	a.nodes[m.ID] = n
	a.dirty = true
	return true
}

// addPart records a part of a known Op; it reports false if it was known,
// its Op is not, or it does not match the Op's digest.
func (a *authority) addPart(p OpPart, digest [32]byte) bool {
	n := a.nodes[p.Op]
	if n == nil || n.genesis != nil || p.Index >= len(n.parts) || n.parts[p.Index] != nil || n.op.Parts[p.Index] != digest {
		return false
	}
	n.parts[p.Index] = &p
	for i := range p.Keys {
		if n.entries == nil {
			n.entries = map[key32]*KeyEntry{}
		}
		n.entries[key32(p.Keys[i].Member)] = &p.Keys[i]
	}
	a.dirty = true
	return true
}

// completes reports whether adding part p would make its Op complete.
func (a *authority) completes(p OpPart) bool {
	n := a.nodes[p.Op]
	if n == nil || n.genesis != nil || p.Index < 0 || p.Index >= len(n.parts) || n.parts[p.Index] != nil {
		return false
	}
	for i, q := range n.parts {
		if q == nil && i != p.Index {
			return false
		}
	}
	return true
}

// view returns the resolved state, resolving first if anything changed.
func (a *authority) view() *view {
	if a.dirty || a.v == nil {
		a.resolve()
	}
	return a.v
}

// resolve orders the connected nodes, decides which Ops are valid and
// builds the merged view.
func (a *authority) resolve() {
	a.dirty = false
	a.order = a.order[:0]
	for _, n := range a.nodes {
		n.idx, n.valid, n.void, n.bad = -1, false, false, nil
	}
	// Connected nodes (every ancestor known) and their depth, by memoised
	// search.
	const (
		unseen = iota
		visiting
		connected
		orphan
	)
	state := make(map[*anode]int, len(a.nodes))
	var visit func(n *anode) bool
	visit = func(n *anode) bool {
		switch state[n] {
		case visiting, orphan:
			return false // a cycle is impossible with content IDs; refused anyway
		case connected:
			return true
		}
		if n.genesis != nil {
			state[n], n.depth = connected, 0
			return true
		}
		state[n] = visiting
		d := 0
		for _, p := range n.op.Parents {
			pn := a.nodes[p]
			if pn == nil || !visit(pn) {
				state[n] = orphan
				return false
			}
			d = max(d, pn.depth+1)
		}
		state[n], n.depth = connected, d
		return true
	}
	for _, n := range a.nodes {
		if visit(n) {
			a.order = append(a.order, n)
		}
	}
	slices.SortFunc(a.order, func(x, y *anode) int {
		if c := cmp.Compare(x.depth, y.depth); c != 0 {
			return c
		}
		return bytes.Compare(x.id[:], y.id[:])
	})
	for i, n := range a.order {
		n.idx = i
	}
	for _, n := range a.order {
		n.anc = newBitset(len(a.order))
		n.maxEpoch = 0
		if n.genesis != nil {
			if a.kind == KindPrivate {
				n.maxEpoch = 1
			}
			continue
		}
		for _, p := range n.op.Parents {
			pn := a.nodes[p]
			n.anc.or(pn.anc)
			n.anc.set(pn.idx)
			n.maxEpoch = max(n.maxEpoch, pn.maxEpoch)
		}
		n.bad = a.structural(n)
		if k := n.op.Key; k != nil && k.Fresh && n.bad == nil {
			n.maxEpoch = k.Epoch
		}
	}
	// The owner's well-formed Ops are valid: they decide who is an admin.
	// An Op takes effect once all its parts are known (a revocation's cut,
	// a key's entries): until then nothing it does is half done.
	roles := newRoleIndex()
	for _, n := range a.order {
		if n.genesis != nil {
			n.valid = n.author == a.owner
			continue
		}
		if n.author == a.owner && n.bad == nil {
			n.valid = true
			roles.addOwnerOp(n)
		}
	}
	for _, n := range a.order {
		if n.genesis != nil || n.author == a.owner || n.bad != nil {
			continue
		}
		switch {
		case !roles.adminIn(n.author, n.anc, false):
			n.bad = fmt.Errorf("%w: the signer is not an admin in the operation's history", ErrNotAllowed)
		default:
			n.bad = a.withinAdminPower(n, roles)
		}
		if n.bad != nil {
			continue
		}
		if roles.revokedConcurrently(n) {
			n.void = true
			continue
		}
		n.valid = true
	}
	a.v = a.merge(roles)
}

// structural applies the rules on an Op that need no roles: the kind of
// group, the owner's immunity, epoch numbers and shared keys.
func (a *authority) structural(n *anode) error {
	o := &n.op
	t := target(o.Action)
	if t != nil && key32(t) == a.owner {
		return fmt.Errorf("%w: a %s cannot name the owner", ErrNotAllowed, o.Action.ActionName())
	}
	switch act := o.Action.(type) {
	case Remove, Add, Rekey:
		if a.kind != KindPrivate {
			return fmt.Errorf("%w: a %s needs a private group", ErrBadPayload, o.Action.ActionName())
		}
	case SetRole:
		if act.Role == RolePoster && a.kind != KindAnnounce {
			return fmt.Errorf("%w: only announcement channels have posters", ErrBadPayload)
		}
	}
	k := o.Key
	if k == nil {
		return nil
	}
	parentMax := uint64(0)
	for _, p := range o.Parents {
		parentMax = max(parentMax, a.nodes[p].maxEpoch)
	}
	if k.Fresh {
		if k.Epoch != parentMax+1 {
			return fmt.Errorf("%w: a fresh epoch %d after epoch %d", ErrBadPayload, k.Epoch, parentMax)
		}
		return nil
	}
	// A shared key: epoch 1's, or one a fresh Op in the history brought.
	if k.Epoch == 1 {
		if a.k1 != nil && *a.k1 != k.KeyID {
			return fmt.Errorf("%w: the shared key is not epoch 1's", ErrBadPayload)
		}
		return nil
	}
	for _, m := range a.order {
		if m.idx >= n.idx {
			break
		}
		if n.anc.has(m.idx) && m.genesis == nil && m.op.Key != nil && m.op.Key.Fresh && m.op.Key.Epoch == k.Epoch && m.op.Key.KeyID == k.KeyID {
			return nil
		}
	}
	return fmt.Errorf("%w: the shared key of epoch %d is not in the operation's history", ErrBadPayload, k.Epoch)
}

// withinAdminPower: an admin does not make admins, and does not demote, ban
// or remove anyone who is an admin in the Op's history.
func (a *authority) withinAdminPower(n *anode, roles *roleIndex) error {
	switch act := n.op.Action.(type) {
	case SetRole:
		if act.Role == RoleAdmin {
			return fmt.Errorf("%w: only the owner makes admins", ErrNotAllowed)
		}
		if roles.adminIn(key32(act.Member), n.anc, false) {
			return fmt.Errorf("%w: only the owner demotes an admin", ErrNotAllowed)
		}
	case Ban, Remove:
		if roles.adminIn(key32(target(act)), n.anc, false) {
			return fmt.Errorf("%w: only the owner bans or removes an admin", ErrNotAllowed)
		}
	}
	return nil
}

// roleIndex holds the owner's grants and revocations of the admin role,
// per member.
type roleIndex struct {
	grants map[key32][]*anode
	revs   map[key32][]*anode
}

func newRoleIndex() *roleIndex {
	return &roleIndex{grants: map[key32][]*anode{}, revs: map[key32][]*anode{}}
}

func (r *roleIndex) addOwnerOp(n *anode) {
	switch act := n.op.Action.(type) {
	case SetRole:
		k := key32(act.Member)
		if act.Role == RoleAdmin {
			r.grants[k] = append(r.grants[k], n)
		} else {
			r.revs[k] = append(r.revs[k], n)
		}
	case Ban, Remove:
		k := key32(target(act))
		r.revs[k] = append(r.revs[k], n)
	}
}

// adminIn reports whether x is an admin in the set of nodes mask holds (nil:
// every node): some grant has every revocation in its history. In an Op's
// history every revocation counts (its author knew of it); for what is in
// force (complete), only revocations whose parts are all known: a
// revocation takes effect with its cut.
func (r *roleIndex) adminIn(x key32, mask bitset, complete bool) bool {
	for _, g := range r.grants[x] {
		if mask != nil && !mask.has(g.idx) {
			continue
		}
		ok := true
		for _, rv := range r.revs[x] {
			if complete && !rv.complete() {
				continue
			}
			if (mask == nil || mask.has(rv.idx)) && !rv.before(g) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// revokedConcurrently reports whether an owner Op in force revoking n's
// author is concurrent with n.
func (r *roleIndex) revokedConcurrently(n *anode) bool {
	for _, rv := range r.revs[n.author] {
		if rv.complete() && !rv.before(n) && !n.before(rv) {
			return true
		}
	}
	return false
}

// keyRef names an epoch key.
type keyRef struct {
	epoch uint64
	id    KeyID
}

// view is the merged authority of a group.
type view struct {
	genesis  *anode
	settings Settings
	ops      int // valid Ops

	admins  map[key32]bool
	posters map[key32]bool
	banned  map[key32]*anode // an effective ban
	removed map[key32]*anode // an effective removal
	// revoked holds who ever lost the right to post, keep the messages
	// their revocations' cuts keep, and since the time a restoring Op
	// (unban, re-add, grant) gave it back.
	revoked map[key32]bool
	keep    map[key32]map[message.ID]struct{}
	since   map[key32]uint64
	// whiteouts counts each author's void Ops.
	whiteouts map[key32]int

	// Private groups.
	removals []*anode           // valid Removes
	adds     map[key32][]*anode // valid Adds per member
	origins  map[keyRef]*anode  // where each fresh key (and epoch 1's) came from
	current  *anode             // the clean key's Op, nil when none is clean
}

func (a *authority) merge(roles *roleIndex) *view {
	v := &view{
		admins: map[key32]bool{}, posters: map[key32]bool{}, banned: map[key32]*anode{}, removed: map[key32]*anode{},
		revoked: map[key32]bool{}, keep: map[key32]map[message.ID]struct{}{}, since: map[key32]uint64{},
		whiteouts: map[key32]int{}, adds: map[key32][]*anode{}, origins: map[keyRef]*anode{},
	}
	var (
		settings []*anode
		bans     = map[key32][]*anode{}
		unbans   = map[key32][]*anode{}
		posterOn = map[key32][]*anode{}
		roleOps  = map[key32][]*anode{}
	)
	for _, n := range a.order {
		if n.void {
			v.whiteouts[n.author]++
		}
		if !n.valid || !n.complete() {
			continue
		}
		if n.genesis != nil {
			if v.genesis == nil {
				v.genesis = n
				if a.kind == KindPrivate && a.k1 != nil {
					v.origins[keyRef{1, *a.k1}] = n
				}
			}
			continue
		}
		v.ops++
		t := target(n.op.Action)
		var tk key32
		if t != nil {
			tk = key32(t)
		}
		switch act := n.op.Action.(type) {
		case Settings:
			settings = append(settings, n)
		case SetRole:
			roleOps[tk] = append(roleOps[tk], n)
			if act.Role == RolePoster {
				posterOn[tk] = append(posterOn[tk], n)
			}
		case Ban:
			bans[tk] = append(bans[tk], n)
		case Unban:
			unbans[tk] = append(unbans[tk], n)
		case Remove:
			v.removals = append(v.removals, n)
		case Add:
			v.adds[tk] = append(v.adds[tk], n)
		}
		if k := n.op.Key; k != nil && k.Fresh {
			v.origins[keyRef{k.Epoch, k.KeyID}] = n
		}
		if t != nil && revokesPosting(a.kind, n.op.Action) {
			v.revoked[tk] = true
			for _, p := range n.parts {
				if p == nil {
					continue
				}
				for _, id := range p.Cut {
					if v.keep[tk] == nil {
						v.keep[tk] = map[message.ID]struct{}{}
					}
					v.keep[tk][id] = struct{}{}
				}
			}
		}
	}
	for k := range roles.grants {
		if roles.adminIn(k, nil, true) {
			v.admins[k] = true
		}
	}
	// Bans stand unless an Unban has them in its history.
	for k, bs := range bans {
		for _, b := range bs {
			if !v.admins[k] && !dominated(b, unbans[k]) {
				v.banned[k] = b
				break
			}
		}
	}
	for _, r := range v.removals {
		k := key32(target(r.op.Action))
		if v.admins[k] || v.removed[k] != nil {
			continue
		}
		var readds []*anode
		for _, ad := range v.adds[k] {
			if ad.op.Key.Fresh {
				readds = append(readds, ad)
			}
		}
		if !dominated(r, readds) {
			v.removed[k] = r
		}
	}
	// A poster is one whose latest role grant has every other role change
	// of theirs in its history.
	for k, gs := range posterOn {
		for _, g := range gs {
			ok := true
			for _, o := range roleOps[k] {
				if o != g && !o.before(g) {
					ok = false
					break
				}
			}
			if ok {
				v.posters[k] = true
				break
			}
		}
	}
	// Whoever lost the right to post and has it back again posts from the
	// time of the Op that gave it back.
	for k := range v.revoked {
		for _, n := range a.order {
			if !n.valid || !n.complete() || n.genesis != nil || !restoresPosting(n.op.Action) || key32(target(n.op.Action)) != k {
				continue
			}
			v.since[k] = max(v.since[k], n.sentAt)
		}
	}
	v.settings = a.settingsOf(v.genesis, settings)
	if a.kind == KindPrivate {
		v.current = a.cleanKey(v)
	}
	return v
}

// dominated reports whether some of the restoring Ops has n in its history.
func dominated(n *anode, restorers []*anode) bool {
	for _, r := range restorers {
		if n.before(r) && n != r {
			return true
		}
	}
	return false
}

// revokesPosting reports whether an action takes its target's right to post
// (and so carries a cut).
func revokesPosting(kind Kind, act Action) bool {
	switch act := act.(type) {
	case Ban, Remove:
		return true
	case SetRole:
		return kind == KindAnnounce && act.Role == RoleMember
	}
	return false
}

// restoresPosting reports whether an action gives its target the right to
// post back.
func restoresPosting(act Action) bool {
	switch act := act.(type) {
	case Unban:
		return true
	case SetRole:
		return act.Role != RoleMember
	case Add:
		return true
	}
	return false
}

// settingsOf returns the newest valid settings: those of a Settings Op that
// no other one has in its history (of several, the lowest ID), else the
// genesis's.
func (a *authority) settingsOf(genesis *anode, ops []*anode) Settings {
	var best *anode
	for _, n := range ops {
		newest := true
		for _, o := range ops {
			if o != n && n.before(o) {
				newest = false
				break
			}
		}
		if newest && (best == nil || bytes.Compare(n.id[:], best.id[:]) < 0) {
			best = n
		}
	}
	if best != nil {
		return best.op.Action.(Settings)
	}
	if genesis != nil {
		g := genesis.genesis
		return Settings{Name: g.Name, EndsAtMS: g.EndsAtMS, SlowModeSeconds: g.SlowModeSeconds}
	}
	return Settings{}
}

// cleanKey picks the key members seal with: of the keys no removed member
// holds (none of them is among the members any valid Op delivered it to;
// epoch 1's, which every link gave, only while nobody is removed), the one
// of the highest epoch (ties: the lowest Op ID).
func (a *authority) cleanKey(v *view) *anode {
	holders := map[keyRef]map[key32]bool{}
	for _, n := range a.order {
		if !n.valid || n.genesis != nil || n.op.Key == nil || !n.complete() {
			continue
		}
		ref := keyRef{n.op.Key.Epoch, n.op.Key.KeyID}
		if holders[ref] == nil {
			holders[ref] = map[key32]bool{}
		}
		for _, p := range n.parts {
			for _, e := range p.Keys {
				holders[ref][key32(e.Member)] = true
			}
		}
	}
	var best *anode
	var bestEpoch uint64
	for ref, n := range v.origins {
		clean := true
		if n.genesis != nil {
			clean = len(v.removed) == 0
		}
		for k := range v.removed {
			if holders[ref][k] {
				clean = false
				break
			}
		}
		if !clean {
			continue
		}
		if best == nil || ref.epoch > bestEpoch || ref.epoch == bestEpoch && bytes.Compare(n.id[:], best.id[:]) < 0 {
			best, bestEpoch = n, ref.epoch
		}
	}
	return best
}

// heads returns the IDs an Op written now names as parents: the known
// nodes no other known node has in its history, at most MaxParents (the
// deepest first).
func (a *authority) heads() []message.ID {
	a.view()
	var hs []*anode
	has := map[message.ID]bool{}
	for _, n := range a.order {
		has[n.id] = true
	}
	for _, n := range a.order {
		if n.genesis == nil {
			for _, p := range n.op.Parents {
				has[p] = false
			}
		}
	}
	for _, n := range a.order {
		if has[n.id] {
			hs = append(hs, n)
		}
	}
	slices.SortFunc(hs, func(x, y *anode) int { return cmp.Compare(y.depth, x.depth) })
	hs = hs[:min(len(hs), MaxParents)]
	out := make([]message.ID, len(hs))
	for i, n := range hs {
		out[i] = n.id
	}
	slices.SortFunc(out, func(x, y message.ID) int { return bytes.Compare(x[:], y[:]) })
	return out
}
