package group

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"slices"

	"starling/group/grouppb"
	"starling/message"
)

// Op is one change to a created group's authority (see authority.go for
// what makes one valid). Parents are the IDs of the Ops, and of the
// genesis, that were the heads of what its author knew, sorted.
type Op struct {
	Parents []message.ID
	Action  Action
	// Key is the epoch key this Op delivers, if any: a fresh epoch (Remove,
	// Rekey, the re-add of a removed member) or an existing key shared with
	// an added member. The entries travel in the parts.
	Key *KeyDelivery
	// Parts are the SHA-256 digests of the parts' payloads (OpPart), in
	// order of their index.
	Parts [][32]byte
}

// MessageKind implements Content.
func (Op) MessageKind() message.Kind { return message.KindOp }

// Action is what an Op does: one of Settings, SetRole, Ban, Unban, Remove,
// Add and Rekey.
type Action interface {
	// ActionName is the action's name for people and logs.
	ActionName() string
}

// Settings replaces the group's name, end time and slow mode.
type Settings struct {
	Name            string
	EndsAtMS        uint64
	SlowModeSeconds uint32
}

// Role is what a member may do beyond reading and (in open and private
// groups) posting.
type Role uint8

// The roles. The owner is none of them: the owner is implied by the group
// ID and can lose nothing.
const (
	RoleMember Role = 0
	// RolePoster may post in an announcement channel.
	RolePoster Role = 1
	// RoleAdmin moderates, rekeys and changes the settings. Only the owner
	// grants or takes it.
	RoleAdmin Role = 2
)

func (r Role) String() string {
	switch r {
	case RoleMember:
		return "member"
	case RolePoster:
		return "poster"
	case RoleAdmin:
		return "admin"
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// SetRole gives Member a role, taking any other.
type SetRole struct {
	Member ed25519.PublicKey
	Role   Role
}

// Ban drops Member's messages in the group except those its cut keeps.
type Ban struct {
	Member ed25519.PublicKey
	Reason string
}

// Unban lifts the bans of Member in its history.
type Unban struct{ Member ed25519.PublicKey }

// Remove takes Member out of a private group.
type Remove struct{ Member ed25519.PublicKey }

// Add admits Member to a private group: a removed member again, with a
// fresh epoch, or someone whose invite went stale, with the current key.
type Add struct{ Member ed25519.PublicKey }

// Rekey starts a fresh epoch for the current members.
type Rekey struct{}

// ActionName implements Action.
func (Settings) ActionName() string { return "settings" }

// ActionName implements Action.
func (SetRole) ActionName() string { return "role" }

// ActionName implements Action.
func (Ban) ActionName() string { return "ban" }

// ActionName implements Action.
func (Unban) ActionName() string { return "unban" }

// ActionName implements Action.
func (Remove) ActionName() string { return "remove" }

// ActionName implements Action.
func (Add) ActionName() string { return "add" }

// ActionName implements Action.
func (Rekey) ActionName() string { return "rekey" }

// KeyDelivery names the epoch key an Op delivers.
type KeyDelivery struct {
	Epoch uint64
	KeyID KeyID
	// Fresh: a new epoch, whose number is one more than the highest in the
	// Op's history; otherwise a key shared again.
	Fresh bool
}

// OpPart is an attachment of an Op: epoch key entries and the cut of a
// revocation. Op is the envelope's ref.
type OpPart struct {
	Op    message.ID
	Index int
	// Keys are the epoch key sealed to members, sorted by member.
	Keys []KeyEntry
	// Cut lists the revoked member's messages that stay valid, sorted.
	Cut []message.ID
}

// MessageKind implements Content.
func (OpPart) MessageKind() message.Kind { return message.KindOpPart }

// KeyEntry is an epoch key sealed with HPKE to the X25519 key in Member's
// profile.
type KeyEntry struct {
	Member    ed25519.PublicKey
	Enc       []byte
	SealedKey []byte
}

// target returns the member an action is about, nil for Settings and
// Rekey.
func target(a Action) ed25519.PublicKey {
	switch a := a.(type) {
	case SetRole:
		return a.Member
	case Ban:
		return a.Member
	case Unban:
		return a.Member
	case Remove:
		return a.Member
	case Add:
		return a.Member
	}
	return nil
}

// check applies the field rules that need no history.
func (o *Op) check() error {
	switch {
	case len(o.Parents) == 0:
		return fmt.Errorf("%w: an operation names no parent", ErrBadPayload)
	case len(o.Parents) > MaxParents:
		return fmt.Errorf("%w: %d parents, limit %d", ErrBadPayload, len(o.Parents), MaxParents)
	case len(o.Parts) > MaxParts:
		return fmt.Errorf("%w: %d parts, limit %d", ErrBadPayload, len(o.Parts), MaxParts)
	}
	for i := 1; i < len(o.Parents); i++ {
		if bytes.Compare(o.Parents[i-1][:], o.Parents[i][:]) >= 0 {
			return fmt.Errorf("%w: parents are not sorted or repeat one", ErrBadPayload)
		}
	}
	switch o.Action.(type) {
	case SetRole, Ban, Unban, Remove, Add:
		// Every action about a member names one: an empty key would be no
		// one at all.
		if err := checkMember(o.Action.ActionName(), target(o.Action)); err != nil {
			return err
		}
	}
	switch a := o.Action.(type) {
	case Settings:
		if err := checkSettings(a.Name, a.SlowModeSeconds); err != nil {
			return err
		}
	case SetRole:
		if a.Role > RoleAdmin {
			return fmt.Errorf("%w: unknown role %d", ErrBadPayload, a.Role)
		}
	case Ban:
		if err := checkReason(a.Reason); err != nil {
			return err
		}
	case Unban, Remove, Add, Rekey:
	case nil:
		return fmt.Errorf("%w: an operation without an action", ErrBadPayload)
	default:
		return fmt.Errorf("%w: unknown action %T", ErrBadPayload, a)
	}
	needKey := false
	switch o.Action.(type) {
	case Remove, Rekey:
		needKey = true
		if o.Key != nil && !o.Key.Fresh {
			return fmt.Errorf("%w: a %s starts a fresh epoch", ErrBadPayload, o.Action.ActionName())
		}
	case Add:
		needKey = true
	}
	switch {
	case needKey && o.Key == nil:
		return fmt.Errorf("%w: a %s delivers a key", ErrBadPayload, o.Action.ActionName())
	case !needKey && o.Key != nil:
		return fmt.Errorf("%w: a %s delivers no key", ErrBadPayload, o.Action.ActionName())
	case o.Key != nil && o.Key.Epoch < 1:
		return fmt.Errorf("%w: key of epoch 0", ErrBadPayload)
	case o.Key != nil && o.Key.Fresh && o.Key.Epoch < 2:
		return fmt.Errorf("%w: a fresh epoch from 2", ErrBadPayload)
	case o.Key != nil && len(o.Parts) == 0:
		return fmt.Errorf("%w: a key delivery without parts", ErrBadPayload)
	}
	return nil
}

func (o Op) pb() (*grouppb.Op, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	pb := &grouppb.Op{}
	for _, p := range o.Parents {
		pb.Parents = append(pb.Parents, slices.Clone(p[:]))
	}
	for _, p := range o.Parts {
		pb.Parts = append(pb.Parts, slices.Clone(p[:]))
	}
	if k := o.Key; k != nil {
		pb.Key = &grouppb.KeyDelivery{Epoch: k.Epoch, KeyId: slices.Clone(k.KeyID[:]), Fresh: k.Fresh}
	}
	switch a := o.Action.(type) {
	case Settings:
		pb.Action = &grouppb.Op_Settings{Settings: &grouppb.Settings{Name: a.Name, EndsAtMs: a.EndsAtMS, SlowModeSeconds: a.SlowModeSeconds}}
	case SetRole:
		pb.Action = &grouppb.Op_Role{Role: &grouppb.SetRole{Member: a.Member, Role: grouppb.Role(a.Role)}}
	case Ban:
		pb.Action = &grouppb.Op_Ban{Ban: &grouppb.Ban{Member: a.Member, Reason: a.Reason}}
	case Unban:
		pb.Action = &grouppb.Op_Unban{Unban: &grouppb.Unban{Member: a.Member}}
	case Remove:
		pb.Action = &grouppb.Op_Remove{Remove: &grouppb.Remove{Member: a.Member}}
	case Add:
		pb.Action = &grouppb.Op_Add{Add: &grouppb.Add{Member: a.Member}}
	case Rekey:
		pb.Action = &grouppb.Op_Rekey{Rekey: &grouppb.Rekey{}}
	}
	return pb, nil
}

func opFromPB(pb *grouppb.Op) (Op, error) {
	var o Op
	for _, p := range pb.Parents {
		if len(p) != len(message.ID{}) {
			return Op{}, fmt.Errorf("%w: a parent ID has %d bytes", ErrBadPayload, len(p))
		}
		o.Parents = append(o.Parents, message.ID(p))
	}
	for _, p := range pb.Parts {
		if len(p) != sha256.Size {
			return Op{}, fmt.Errorf("%w: a part digest has %d bytes", ErrBadPayload, len(p))
		}
		o.Parts = append(o.Parts, [32]byte(p))
	}
	if k := pb.Key; k != nil {
		if len(k.KeyId) != KeyIDSize {
			return Op{}, fmt.Errorf("%w: key ID has %d bytes", ErrBadPayload, len(k.KeyId))
		}
		o.Key = &KeyDelivery{Epoch: k.Epoch, KeyID: KeyID(k.KeyId), Fresh: k.Fresh}
	}
	switch a := pb.Action.(type) {
	case *grouppb.Op_Settings:
		o.Action = Settings{Name: a.Settings.Name, EndsAtMS: a.Settings.EndsAtMs, SlowModeSeconds: a.Settings.SlowModeSeconds}
	case *grouppb.Op_Role:
		if a.Role.Role < 0 || a.Role.Role > grouppb.Role(RoleAdmin) {
			return Op{}, fmt.Errorf("%w: unknown role %d", ErrBadPayload, a.Role.Role)
		}
		o.Action = SetRole{Member: a.Role.Member, Role: Role(a.Role.Role)}
	case *grouppb.Op_Ban:
		o.Action = Ban{Member: a.Ban.Member, Reason: a.Ban.Reason}
	case *grouppb.Op_Unban:
		o.Action = Unban{Member: a.Unban.Member}
	case *grouppb.Op_Remove:
		o.Action = Remove{Member: a.Remove.Member}
	case *grouppb.Op_Add:
		o.Action = Add{Member: a.Add.Member}
	case *grouppb.Op_Rekey:
		o.Action = Rekey{}
	}
	if err := o.check(); err != nil {
		return Op{}, err
	}
	return o, nil
}

func (p *OpPart) check() error {
	switch {
	case p.Index < 0 || p.Index >= MaxParts:
		return fmt.Errorf("%w: part %d, limit %d", ErrBadPayload, p.Index, MaxParts)
	case len(p.Keys) == 0 && len(p.Cut) == 0:
		return fmt.Errorf("%w: an empty part", ErrBadPayload)
	case len(p.Cut) > MaxCut:
		return fmt.Errorf("%w: a cut of %d messages, limit %d", ErrBadPayload, len(p.Cut), MaxCut)
	}
	for i, e := range p.Keys {
		switch {
		case len(e.Member) != ed25519.PublicKeySize:
			return fmt.Errorf("%w: key entry member has %d bytes", ErrBadPayload, len(e.Member))
		case len(e.Enc) != hpkeEncSize:
			return fmt.Errorf("%w: key entry enc has %d bytes, want %d", ErrBadPayload, len(e.Enc), hpkeEncSize)
		case len(e.SealedKey) != hpkeSealedSize:
			return fmt.Errorf("%w: sealed key has %d bytes, want %d", ErrBadPayload, len(e.SealedKey), hpkeSealedSize)
		case i > 0 && bytes.Compare(p.Keys[i-1].Member, e.Member) >= 0:
			return fmt.Errorf("%w: key entries are not sorted by member or repeat one", ErrBadPayload)
		}
	}
	for i := 1; i < len(p.Cut); i++ {
		if bytes.Compare(p.Cut[i-1][:], p.Cut[i][:]) >= 0 {
			return fmt.Errorf("%w: the cut is not sorted or repeats a message", ErrBadPayload)
		}
	}
	return nil
}

func (p OpPart) pb() *grouppb.OpPart {
	pb := &grouppb.OpPart{Index: uint32(p.Index)}
	for _, e := range p.Keys {
		pb.Keys = append(pb.Keys, &grouppb.KeyEntry{Member: e.Member, Enc: e.Enc, SealedKey: e.SealedKey})
	}
	for _, id := range p.Cut {
		pb.Cut = append(pb.Cut, slices.Clone(id[:]))
	}
	return pb
}

func partFromPB(pb *grouppb.OpPart) (OpPart, error) {
	if pb.Index >= MaxParts {
		return OpPart{}, fmt.Errorf("%w: part %d, limit %d", ErrBadPayload, pb.Index, MaxParts)
	}
	p := OpPart{Index: int(pb.Index)}
	for _, e := range pb.Keys {
		p.Keys = append(p.Keys, KeyEntry{Member: e.Member, Enc: e.Enc, SealedKey: e.SealedKey})
	}
	for _, id := range pb.Cut {
		if len(id) != len(message.ID{}) {
			return OpPart{}, fmt.Errorf("%w: a message ID in the cut has %d bytes", ErrBadPayload, len(id))
		}
		p.Cut = append(p.Cut, message.ID(id))
	}
	if err := p.check(); err != nil {
		return OpPart{}, err
	}
	return p, nil
}

// partDigest is what an Op commits to for a part: SHA-256 of its unsealed
// payload.
func partDigest(payload []byte) [32]byte { return sha256.Sum256(payload) }

// Target returns the member an action is about (nil for Settings and
// Rekey).
func Target(a Action) ed25519.PublicKey { return target(a) }
