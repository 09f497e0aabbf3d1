package group

import (
	"crypto/ed25519"
	"time"

	"starling/message"
)

// Update is a change to a descriptor that an owner or admin asks for; zero
// fields change nothing.
type Update struct {
	Name                      string
	AddAdmins, RemoveAdmins   []ed25519.PublicKey
	AddPosters, RemovePosters []ed25519.PublicKey
	// SlowMode, if set, replaces the slow mode (0 turns it off).
	SlowMode *time.Duration
	// EndsAt, if set, replaces the end time (a zero time: never).
	EndsAt *time.Time
}

// Apply edits d as the update says. UpdateDescriptor sorts and checks the
// result.
func (u Update) Apply(d *Descriptor) {
	if u.Name != "" {
		d.Name = u.Name
	}
	d.Admins = editKeys(d.Admins, u.AddAdmins, u.RemoveAdmins)
	d.Posters = editKeys(d.Posters, u.AddPosters, u.RemovePosters)
	if u.SlowMode != nil {
		d.SlowModeSeconds = uint32(max(*u.SlowMode, 0).Round(time.Second) / time.Second)
	}
	if u.EndsAt != nil {
		d.EndsAtMS = 0
		if !u.EndsAt.IsZero() {
			d.EndsAtMS = message.TimeMS(*u.EndsAt)
		}
	}
}

func editKeys(list, add, drop []ed25519.PublicKey) []ed25519.PublicKey {
	var out []ed25519.PublicKey
	for _, k := range list {
		if !containsKey(drop, k) {
			out = append(out, k)
		}
	}
	for _, k := range add {
		if !containsKey(out, k) {
			out = append(out, k)
		}
	}
	return out
}
