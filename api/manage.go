package api

import "time"

// CreateRequest is the body of POST /v1/create.
type CreateRequest struct {
	Name string `json:"name"`
	// Kind is "open", "private" or "announce".
	Kind   string     `json:"kind"`
	EndsAt *time.Time `json:"ends_at,omitempty"`
}

// Member is an author with a signed profile in a group.
type Member struct {
	Fingerprint string `json:"fingerprint"`
	Nick        string `json:"nick"`
	Admin       bool   `json:"admin"`
}

// GroupDetail answers GET /v1/groups/{group}: the group and its current
// descriptor. Channels have no descriptor: no owner, no roles.
type GroupDetail struct {
	Group
	Owner           string     `json:"owner,omitempty"`
	Version         uint64     `json:"version,omitempty"`
	Admins          []string   `json:"admins"`
	Posters         []string   `json:"posters"`
	Removed         []string   `json:"removed"`
	Banned          []string   `json:"banned"`
	EndsAt          *time.Time `json:"ends_at,omitempty"`
	SlowModeSeconds uint32     `json:"slow_mode_seconds"`
	Epoch           uint64     `json:"epoch"`
	Members         []Member   `json:"members"`
	// You is where this user stands in the group.
	You Standing `json:"you"`
}

// Standing is where this user stands in a group, as their node knows it.
// In an open channel they are simply a member.
type Standing struct {
	// Member: they read what is sent from now on and may post (in an
	// announcement channel posting also needs Poster or an admin).
	Member bool `json:"member"`
	Owner  bool `json:"owner"`
	Admin  bool `json:"admin"`
	Poster bool `json:"poster"`
	// Removed or Banned, by whom (a fingerprint), when and why (bans).
	Removed bool       `json:"removed"`
	Banned  bool       `json:"banned"`
	By      string     `json:"by,omitempty"`
	At      *time.Time `json:"at,omitempty"`
	Reason  string     `json:"reason,omitempty"`
	// Stale: they joined a private group with an invite made before a
	// removal, which admits nobody to what is sent after it; they need a
	// fresh link, or an admin's `group add`.
	Stale bool `json:"stale"`
	// Why says in one line why they may not post here; empty when they may.
	Why string `json:"why,omitempty"`
}

// InviteRequest is the body of POST /v1/groups/{group}/invite.
type InviteRequest struct {
	Relays []string `json:"relays"`
	// Carrier asks for a private group's carrier link: it lets a node (an
	// organiser relay) store, forward and serve the group's messages
	// without being able to read them.
	Carrier bool `json:"carrier,omitempty"`
}

// InviteResponse carries an invite link.
type InviteResponse struct {
	Link string `json:"link"`
}

// ModerationRequest is the body of remove, add, ban and unban (Member: a
// fingerprint) and delete (ID: a message ID).
type ModerationRequest struct {
	Member string `json:"member,omitempty"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// UpdateRequest is the body of PATCH /v1/groups/{group}; absent fields
// change nothing. EndsAt "" means never ends.
type UpdateRequest struct {
	Name            string   `json:"name,omitempty"`
	AddAdmins       []string `json:"add_admins,omitempty"`
	RemoveAdmins    []string `json:"remove_admins,omitempty"`
	AddPosters      []string `json:"add_posters,omitempty"`
	RemovePosters   []string `json:"remove_posters,omitempty"`
	SlowModeSeconds *int     `json:"slow_mode_seconds,omitempty"`
	EndsAt          *string  `json:"ends_at,omitempty"`
}

// BlockRequest is the body of POST /v1/blocks; Mode "block", "mute" or ""
// (lift).
type BlockRequest struct {
	Fingerprint string `json:"fingerprint"`
	Mode        string `json:"mode"`
}

// Person answers GET /v1/whois/{fingerprint}.
type Person struct {
	Fingerprint string        `json:"fingerprint"`
	Key         string        `json:"key"`
	Mode        string        `json:"mode,omitempty"`
	Groups      []PersonGroup `json:"groups"`
}

// PersonGroup is a group an author was seen in, with their nickname there.
type PersonGroup struct {
	Group   string `json:"group"`
	GroupID string `json:"group_id"`
	Nick    string `json:"nick"`
}
